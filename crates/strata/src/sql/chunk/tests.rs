use super::*;
use crate::sql::split::statements_from;
use crate::sql::{line_column, statements};
use std::io::{BufReader, Read};

/// A reader that hands out its data 1 to 7 bytes at a time, cutting through
/// UTF-8 characters and tokens alike.
struct Trickle<'a> {
    data: &'a [u8],
    seed: u32,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.seed = self.seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = (1 + (self.seed >> 16) % 7) as usize;
        let n = n.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn trickle(script: &str, seed: u32) -> BufReader<Trickle<'_>> {
    BufReader::with_capacity(
        5,
        Trickle {
            data: script.as_bytes(),
            seed,
        },
    )
}

fn all_chunks<R: BufRead>(mut chunker: Chunker<R>, target: usize) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    while let Some(chunk) = chunker.next_chunk(target).unwrap() {
        chunks.push(chunk);
    }
    chunks
}

/// Every nasty case of the splitter, in one script.
const NASTY: &str = "\u{feff}-- strata:no-transaction\n\
    /* header; /* nested; */ */\n\
    create table \"a;\"\"b\" (x text, \"end\" int);;\n\
    insert into \"a;\"\"b\" values (E'it\\'s; \\\\', 1), ('it''s; é', 2), (U&'d\\0061t;', 3);\n\
    create function f() returns int language plpgsql as $fn$\n\
    begin perform 1; raise notice $$ ; $$; return 1; end;\n$fn$;\n\
    CREATE OR REPLACE PROCEDURE p(a int) LANGUAGE sql\n\
    BEGIN ATOMIC\n  insert into t values (CASE WHEN a > 0 THEN 1 END);\n  \
    select case a when 1 then 'x' end;\nEND;\n\
    select 1 -- not; the end\n  + 1 /* ; */;\n\
    ; ;\n\
    select '日本', '🦀', 1.5e+3, $1, x..y, U&\"q\" -- tail\n\
    ;select 'after a mid-file bom:';\u{feff}select 2;\n\
    select 'unterminated last statement'\n-- trailing comment; \n/* and ; block */\n  ";

fn assert_same_as_whole(script: &str, base: Location, chunks: &[Chunk], target: usize) {
    let want: Vec<&str> = statements(script).map(|s| s.text(script)).collect();
    let mut got = Vec::new();
    for chunk in chunks {
        // A chunk is the script from its offset on: lex it as such (a
        // U+FEFF there is no byte-order mark).
        let mid_stream = chunk.offset != base.offset;
        let in_chunk: Vec<&str> = statements_from(&chunk.text, !mid_stream)
            .map(|s| s.text(&chunk.text))
            .collect();
        assert_eq!(in_chunk.len(), chunk.statements, "{chunk:?}");
        assert!(chunk.statements > 0);
        if target == 0 {
            assert_eq!(chunk.statements, 1);
            assert_eq!(in_chunk, [chunk.text.as_str()]);
        }
        // The chunk starts on its first statement and sits at its offset.
        assert_eq!(
            statements_from(&chunk.text, !mid_stream)
                .next()
                .map(|s| s.start),
            Some(0)
        );
        let at = usize::try_from(chunk.offset - base.offset).unwrap();
        assert_eq!(&script[at..at + chunk.text.len()], chunk.text);
        let (line, column) = line_column(script, at);
        let column = if line == 1 {
            column + base.column - 1
        } else {
            column
        };
        assert_eq!(
            (chunk.line, chunk.column),
            (line + base.line - 1, column),
            "{chunk:?}"
        );
        got.extend(in_chunk.into_iter().map(str::to_owned));
    }
    assert_eq!(got, want);
}

#[test]
fn chunks_from_a_trickling_reader_match_whole_text_splitting() {
    let texts: Vec<&str> = statements(NASTY).map(|s| s.text(NASTY)).collect();
    assert_eq!(
        texts,
        [
            "create table \"a;\"\"b\" (x text, \"end\" int);",
            "insert into \"a;\"\"b\" values (E'it\\'s; \\\\', 1), ('it''s; é', 2), (U&'d\\0061t;', 3);",
            "create function f() returns int language plpgsql as $fn$\n\
             begin perform 1; raise notice $$ ; $$; return 1; end;\n$fn$;",
            "CREATE OR REPLACE PROCEDURE p(a int) LANGUAGE sql\nBEGIN ATOMIC\n  \
             insert into t values (CASE WHEN a > 0 THEN 1 END);\n  \
             select case a when 1 then 'x' end;\nEND;",
            "select 1 -- not; the end\n  + 1 /* ; */;",
            "select '日本', '🦀', 1.5e+3, $1, x..y, U&\"q\" -- tail\n;",
            "select 'after a mid-file bom:';",
            "\u{feff}select 2;",
            "select 'unterminated last statement'",
        ]
    );
    for target in [0, 1, 7, 40, 200, 1 << 20] {
        for seed in 0..20 {
            let chunks = all_chunks(Chunker::new(trickle(NASTY, seed), Location::START), target);
            assert_same_as_whole(NASTY, Location::START, &chunks, target);
        }
    }
}

/// Random scripts made of the fragments where lexing decisions hang on the
/// next characters, cut by the reader at random places: the chunker must
/// split them exactly as the whole text is split.
#[test]
fn random_fragment_soup_splits_like_the_whole_text() {
    const FRAGMENTS: &[&str] = &[
        "u",
        "U&",
        "&",
        "'",
        "''",
        "\"",
        "$",
        "$$",
        "$a$",
        "$1",
        "e",
        "E'",
        "\\",
        "/*",
        "*/",
        "/",
        "*",
        "-",
        "--",
        "\n",
        "\r\n",
        " ",
        ";",
        ";",
        ";",
        "(",
        ")",
        "1",
        ".",
        "..",
        "_",
        "+",
        "e+",
        "é",
        "日",
        "🦀",
        "\u{feff}",
        "begin",
        " atomic",
        "end",
        "case",
        "create ",
        "function ",
        "x",
    ];
    let mut seed = 7u32;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (seed >> 16) as usize % n
    };
    for round in 0..300 {
        let len = 1 + next(120);
        let script: String = (0..len).map(|_| FRAGMENTS[next(FRAGMENTS.len())]).collect();
        for target in [0, 25] {
            let chunks = all_chunks(
                Chunker::new(trickle(&script, round), Location::START),
                target,
            );
            assert_same_as_whole(&script, Location::START, &chunks, target);
        }
    }
}

#[test]
fn chunk_positions_add_the_base_location() {
    let base = Location {
        offset: 1000,
        line: 12,
        column: 5,
    };
    let script = "  select 1;\nselect 'é'; select 3;";
    let chunks = all_chunks(Chunker::new(trickle(script, 3), base), 0);
    assert_same_as_whole(script, base, &chunks, 0);
    let places: Vec<_> = chunks
        .iter()
        .map(|c| (c.offset, c.line, c.column))
        .collect();
    assert_eq!(places, [(1002, 12, 7), (1012, 13, 1), (1025, 13, 13)]);
}

#[test]
fn target_zero_gives_one_statement_per_chunk() {
    let script = "select 1; select 2;;\n-- c\nselect 3";
    let chunks = all_chunks(Chunker::new(script.as_bytes(), Location::START), 0);
    let texts: Vec<_> = chunks.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["select 1;", "select 2;", "select 3"]);
    assert!(chunks.iter().all(|c| c.statements == 1));
}

#[test]
fn chunks_reach_the_target_and_keep_what_lies_between() {
    let script = "select 1; /* keep */ select 2;\n-- drop\nselect 3; select 4;";
    let chunks = all_chunks(Chunker::new(script.as_bytes(), Location::START), 15);
    let texts: Vec<_> = chunks.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        ["select 1; /* keep */ select 2;", "select 3; select 4;"]
    );
    assert_eq!(chunks[1].line, 3);
}

#[test]
fn a_huge_target_puts_everything_in_one_chunk() {
    let script = "select 1; select 2;\n-- c\nselect 3; -- end";
    let chunks = all_chunks(
        Chunker::new(trickle(script, 9), Location::START),
        usize::MAX,
    );
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].text, "select 1; select 2;\n-- c\nselect 3;");
    assert_eq!(chunks[0].statements, 3);
}

#[test]
fn trivia_only_input_yields_no_chunk() {
    for script in ["", "  \n", "-- only a comment; really\n", "/* ; */ ;; \n\t"] {
        let mut chunker = Chunker::new(trickle(script, 1), Location::START);
        assert_eq!(chunker.next_chunk(0).unwrap(), None, "{script:?}");
        assert_eq!(chunker.next_chunk(0).unwrap(), None);
    }
    let mut chunker = Chunker::new("select 1; -- bye\n".as_bytes(), Location::START);
    assert!(chunker.next_chunk(100).unwrap().is_some());
    assert_eq!(chunker.next_chunk(100).unwrap(), None);
}

#[test]
fn a_statement_bigger_than_the_buffer_grows_it() {
    let body = "x; é $$ ".repeat(20_000);
    let script = format!("select 1;\nselect $q${body}$q$;\nselect 3;");
    for seed in 0..3 {
        let chunks = all_chunks(Chunker::new(trickle(&script, seed), Location::START), 0);
        assert_same_as_whole(&script, Location::START, &chunks, 0);
        assert_eq!(chunks.len(), 3);
    }
}

#[test]
fn invalid_utf8_is_an_error_with_its_offset() {
    let bad: &[u8] = b"select 1;\nselect '\xff';";
    let mut chunker = Chunker::new(BufReader::with_capacity(4, bad), Location::START);
    assert!(chunker.next_chunk(0).unwrap().is_some());
    let err = chunker.next_chunk(0).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert_eq!(err.to_string(), "invalid UTF-8 at byte 18");

    let cut: &[u8] = b"select '\xc3";
    let err = Chunker::new(cut, Location::START)
        .next_chunk(0)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}

/// Statements of assorted shapes, some with multi-line bodies.
fn generated_statement(i: usize) -> String {
    match i % 5 {
        0 => format!("insert into t values ({i}, 'row; {i}');\n"),
        1 => format!("-- step {i}\nupdate t set v = E'\\'{i}' where id = {i};\n"),
        2 => format!(
            "create function f{i}() returns int language plpgsql as $b$\nbegin return {i}; end;\n$b$;\n"
        ),
        3 => format!(
            "create procedure p{i}() begin atomic select case when {i} > 0 then 1 end; end;\n"
        ),
        _ => format!("/* {i} */ select '{}';\n", "é".repeat(i % 97)),
    }
}

#[test]
fn a_200k_statement_script_streams_in_bounded_chunks() {
    const COUNT: usize = 200_000;
    let script: String = (0..COUNT).map(generated_statement).collect();
    let target = 1 << 20;
    // The longest statement, counted with the trivia before it.
    let mut longest = 0;
    let mut prev_end = 0;
    for stmt in statements(&script) {
        longest = longest.max(stmt.end - prev_end);
        prev_end = stmt.end;
    }
    let mut chunker = Chunker::new(script.as_bytes(), Location::START);
    let (mut total, mut chunks) = (0, 0);
    let mut expected_offset = 0;
    while let Some(chunk) = chunker.next_chunk(target).unwrap() {
        assert!(chunk.text.len() <= target + longest, "{}", chunk.text.len());
        assert!(chunk.offset >= expected_offset);
        expected_offset = chunk.offset + chunk.text.len() as u64;
        total += chunk.statements;
        chunks += 1;
    }
    assert_eq!(total, COUNT);
    assert_eq!(expected_offset, script.trim_end().len() as u64);
    assert!(chunks >= script.len() / (target + longest));
    // The buffer never held much more than a chunk and a read block.
    assert!(chunker.buf.capacity() <= 4 * (target + longest));
}

/// A reader that generates `count` statements on the fly, so the script is
/// never in memory.
struct Generated {
    next: usize,
    count: usize,
    pending: Vec<u8>,
    at: usize,
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.pending.len() {
            if self.next == self.count {
                return Ok(0);
            }
            // Every other statement is a wide insert: ~200 bytes on average.
            self.pending = if self.next.is_multiple_of(2) {
                generated_statement(self.next).into_bytes()
            } else {
                format!(
                    "insert into log values ({}, '{}');\n",
                    self.next,
                    "w".repeat(300)
                )
                .into_bytes()
            };
            self.at = 0;
            self.next += 1;
        }
        let n = out.len().min(self.pending.len() - self.at);
        out[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The product requirement: ~200 MB, 1,000,000 statements in at most 64 MiB
/// (peak RSS of the whole test process).
/// Slow in a debug build; run with
/// `cargo test -p strata-pg --release --lib -- --ignored million`.
#[test]
#[ignore = "slow: streams ~200 MB of generated SQL"]
#[cfg(target_os = "linux")]
fn a_million_statements_stream_in_bounded_memory() {
    const COUNT: usize = 1_000_000;
    let reader = Generated {
        next: 0,
        count: COUNT,
        pending: Vec::new(),
        at: 0,
    };
    let mut chunker = Chunker::new(BufReader::new(reader), Location::START);
    let (mut total, mut bytes) = (0, 0);
    while let Some(chunk) = chunker.next_chunk(1 << 20).unwrap() {
        total += chunk.statements;
        bytes += chunk.text.len();
    }
    assert_eq!(total, COUNT);
    assert!(bytes > 200_000_000, "{bytes}");
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(peak_kib <= 64 * 1024, "peak RSS {peak_kib} KiB");
}

#[test]
fn restrict_lines_are_never_part_of_a_chunk() {
    let script = "\\restrict k1\nSET a = 1;\n\\unrestrict k1\nSELECT 1;\n\\restrict k2\n";
    for target in [0, 1 << 20] {
        let mut chunker = Chunker::new(script.as_bytes(), Location::START);
        let mut texts = Vec::new();
        while let Some(c) = chunker.next_chunk(target).unwrap() {
            assert!(!c.text.contains('\\'), "{c:?}");
            texts.push((c.text, c.line));
        }
        assert_eq!(
            texts,
            [("SET a = 1;".to_owned(), 2), ("SELECT 1;".to_owned(), 4)],
            "target {target}"
        );
    }
}

/// A pg_dump-like script: statements, a COPY with data that would not lex
/// (quotes, `;`, `$$`, backslashes), then more statements.
const WITH_COPY: &str = "CREATE TABLE t (a int, b text);\n\
    COPY public.t (a, b) FROM stdin;\n\
    1\tit's; $$\n\
    2\t\\N\n\
    3\t/* not a comment\n\
    \\.\n\
    SELECT 'after';\n\
    COPY t FROM stdin;\n\
    \\.\n\
    SELECT 2;\n";

#[test]
fn copy_from_stdin_comes_alone_and_its_data_apart() {
    for seed in [1, 7, 42] {
        for target in [0, 1 << 20] {
            let mut chunker = Chunker::new(trickle(WITH_COPY, seed), Location::START);
            let first = chunker.next_chunk(target).unwrap().unwrap();
            assert_eq!(first.text, "CREATE TABLE t (a int, b text);");
            assert!(!first.copy_from_stdin);
            let copy = chunker.next_chunk(target).unwrap().unwrap();
            assert_eq!(copy.text, "COPY public.t (a, b) FROM stdin;");
            assert_eq!((copy.line, copy.statements), (2, 1));
            assert!(copy.copy_from_stdin);
            let rows = chunker.next_copy_data(1 << 20).unwrap().unwrap();
            assert_eq!(rows.text, "1\tit's; $$\n2\t\\N\n3\t/* not a comment\n");
            assert_eq!((rows.line, rows.rows), (3, 3));
            assert!(chunker.next_copy_data(1 << 20).unwrap().is_none());
            let after = chunker.next_chunk(target).unwrap().unwrap();
            assert_eq!((after.text.as_str(), after.line), ("SELECT 'after';", 7));
            // An empty COPY; its data skipped unread.
            let empty = chunker.next_chunk(target).unwrap().unwrap();
            assert!(empty.copy_from_stdin);
            let last = chunker.next_chunk(target).unwrap().unwrap();
            assert_eq!(
                (last.text.as_str(), last.line, last.offset),
                ("SELECT 2;", 10, 141)
            );
            assert!(chunker.next_chunk(target).unwrap().is_none());
        }
    }
}

#[test]
fn unread_copy_data_is_skipped_and_rows_come_in_pieces() {
    let chunker = Chunker::new(WITH_COPY.as_bytes(), Location::START);
    let texts: Vec<String> = all_chunks(chunker, 0).into_iter().map(|c| c.text).collect();
    assert_eq!(texts.len(), 5);
    assert_eq!(texts[2], "SELECT 'after';");
    let mut chunker = Chunker::new(trickle(WITH_COPY, 3), Location::START);
    chunker.next_chunk(0).unwrap();
    chunker.next_chunk(0).unwrap();
    let lines: Vec<(u32, u32)> = std::iter::from_fn(|| chunker.next_copy_data(0).unwrap())
        .map(|d| (d.line, d.rows))
        .collect();
    assert_eq!(lines, [(3, 1), (4, 1), (5, 1)]);
}

#[test]
fn copy_data_without_its_end_is_an_error() {
    let mut chunker = Chunker::new(&b"COPY t FROM stdin;\n1\n2\n"[..], Location::START);
    chunker.next_chunk(0).unwrap();
    let err = chunker.next_copy_data(1 << 20).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}
