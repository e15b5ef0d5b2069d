#!/usr/bin/env python3
"""strata's schema benchmark (issue 14, SPEC §11): how long a snapshot of a
large schema takes, and `strata drift --against` on it.

    python3 bench/schema.py                     # on a throwaway cluster (strata dev up)
    python3 bench/schema.py --url postgres://u@host/empty_db
    python3 bench/schema.py --tables 1000 --runs 10

The schema: N tables, each with an identity primary key, a CHECK, a foreign
key to the previous table and an index, plus a view per ten tables; applied
as one migration with the release `strata migrate` (so the history table
exists and is left out, as in a real project). Then, with hyperfine:

- `strata schema dump --out FILE` end to end (process start, connect,
  snapshot, render, write): an upper bound of the snapshot's own cost;
- the snapshot's catalog query alone, timed by the server side of psql
  (`\\timing` on `EXECUTE` of catalog.sql, prepared; the JSON still crosses
  the wire), to show where the time goes;
- `strata drift --against FILE` end to end, when `strata drift --help`
  exits 0 (the command may not be built yet).

Targets (issue 14): snapshot < 300 ms, drift --against < 500 ms. Writes
bench/results/schema-latest.md and prints it. Not part of CI.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ROOT, RESULTS, STRATA, WORK, Cluster, ensure_apt, find_pg_bin, fmt_time, hyperfine, machine, out, sh  # noqa: E402

CATALOG = ROOT / "crates" / "strata" / "src" / "schema" / "catalog.sql"
DB = "b_schema"


def schema_sql(n):
    """N tables t0001…, each with an identity pk, a check, a foreign key to
    the previous one and an index; a view per ten tables."""
    lines = []
    for i in range(1, n + 1):
        fk = f" REFERENCES t{i - 1:04} (id)" if i > 1 else ""
        lines.append(
            f"CREATE TABLE t{i:04} (\n"
            f"    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
            f"    prev_id bigint{fk},\n"
            f"    amount numeric(12,2) NOT NULL DEFAULT 0 CHECK (amount >= 0),\n"
            f"    note text,\n"
            f"    created_at timestamptz NOT NULL DEFAULT now()\n);\n"
            f"CREATE INDEX t{i:04}_prev_idx ON t{i:04} (prev_id);\n")
        if i % 10 == 0:
            lines.append(f"CREATE VIEW v{i // 10:03} AS SELECT id, amount FROM t{i:04} WHERE amount > 0;\n")
    return "".join(lines)


def project(n):
    p = WORK / f"schema-n{n}"
    if p.exists():
        shutil.rmtree(p)
    (p / "migrations").mkdir(parents=True)
    (p / "strata.toml").write_text('[databases.bench]\nmigrations = "migrations"\nurl_env = "DATABASE_URL"\n')
    (p / "migrations" / "V1__schema.sql").write_text(schema_sql(n))
    return p


def catalog_query_ms(psql, url, runs):
    """Server-side time of the snapshot's one statement, as psql's \\timing
    reports it (execution plus sending the JSON), median of `runs`."""
    script = (
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n"
        "SET LOCAL search_path = pg_catalog;\n"
        f"PREPARE snap(text[], text, text) AS\n{CATALOG.read_text().rstrip().rstrip(';')};\n"
        "\\o /dev/null\n\\timing on\n"
        + "EXECUTE snap('{public}', 'public', 'strata_schema_history');\n" * runs
        + "COMMIT;\n")
    r = subprocess.run([str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url], input=script,
                       capture_output=True, text=True, check=True)
    times = [float(m) for m in re.findall(r"Time: ([0-9.]+) ms", r.stdout)]
    # The first EXECUTE plans the statement; COMMIT is timed too.
    times = times[1:runs] if len(times) > runs else times
    return statistics.median(times) / 1000 if times else None


def replay(cluster, n, runs):
    """`migrate` of n migrations (bench.py's workload) on an empty database, then `drift` of the
    migrated database, whose shadow replays the same n on the same cluster (SHADOW_DATABASE_URL):
    target (issue 14) drift within 1.3x migrate."""
    from bench import body
    p = WORK / f"replay{n}"
    if p.exists():
        shutil.rmtree(p)
    (p / "migrations").mkdir(parents=True)
    (p / "strata.toml").write_text('[databases.main]\nurl_env = "DATABASE_URL"\n'
                                   'shadow_url_env = "SHADOW_DATABASE_URL"\n')
    for i in range(1, n + 1):
        (p / "migrations" / f"V{i:05}__m{i}.sql").write_text(body(i))
    db = "b_replay"
    pre = f"DATABASE_URL={cluster.url(db)} SHADOW_DATABASE_URL={cluster.url('postgres')} {STRATA} -C {p}"
    # Alternated pairs (this machine's disk drifts over a minute): an
    # untimed recreate of an empty database, `migrate` on it timed, then
    # `drift` of the database it migrated timed; medians, and the median of
    # the pairs' ratios.
    migrate, drift, ratios = [], [], []
    for _ in range(runs):
        cluster.recreate(db)
        migrate.append(timed(f"{pre} migrate -q"))
        drift.append(timed(f"{pre} drift >/dev/null 2>&1"))
        ratios.append(drift[-1] / migrate[-1])
    m, d, r = (statistics.median(x) for x in (migrate, drift, ratios))
    return [(f"`strata migrate` of {n} migrations on an empty database", m),
            (f"`strata drift` replaying the same {n} in a shadow database "
             f"(median of the pairs' ratios {r:.2f}x migrate; "
             f"range {min(ratios):.2f}–{max(ratios):.2f})", d)]


def timed(cmd):
    """Wall time of one shell command that must succeed (drift may exit 3)."""
    started = time.monotonic()
    rc = subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL).returncode
    if rc not in (0, 3):
        sys.exit(f"failed ({rc}): {cmd}")
    return time.monotonic() - started


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--url", help="an empty database to fill (not dropped afterwards); "
                                  "default: a throwaway cluster started with `strata dev up`")
    ap.add_argument("--no-build", action="store_true", help="use target/release/strata as it is")
    ap.add_argument("--replay", type=int, default=100,
                    help="also time `drift` replaying N of bench.py's migrations in a shadow database "
                         "against `migrate` of them on an empty database (0: skip; needs the throwaway cluster)")
    a = ap.parse_args()

    if not ensure_apt("hyperfine", "hyperfine"):
        sys.exit("hyperfine is needed: apt-get install hyperfine")
    if not a.no_build:
        sh(["cargo", "build", "--release", "-q", "-p", "strata-pg-cli"], cwd=ROOT)
    WORK.mkdir(parents=True, exist_ok=True)
    cluster = None
    try:
        if a.url:
            url = a.url
        else:
            cluster = Cluster()
            cluster.recreate(DB)
            url = cluster.url(DB)
        psql = find_pg_bin() / "psql"
        if out([str(psql), "-X", "-At", "-d", url, "-c",
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public'"]) != "0":
            sys.exit("the database is not empty: give an empty one (--url) or none")
        p = project(a.tables)
        env = dict(os.environ, DATABASE_URL=url)
        started = time.monotonic()
        sh([str(STRATA), "-C", str(p), "migrate", "-q"], env=env)
        build_s = time.monotonic() - started
        dump = p / "schema.sql"
        sh([str(STRATA), "-C", str(p), "schema", "dump", "--out", str(dump)], env=env)
        objects = dump.read_text().count("\n-- strata: ")
        rows = []
        pre = f"DATABASE_URL='{url}' {STRATA} -C {p}"
        rows.append(("`strata schema dump --out FILE` (end to end)",
                     hyperfine("dump", f"{pre} schema dump --out {WORK}/schema-out.sql 2>/dev/null", None, a.runs)))
        rows.append(("catalog query alone (psql `\\timing`, server side)", catalog_query_ms(psql, url, a.runs + 1)))
        drift_ok = subprocess.run(f"{STRATA} drift --help", shell=True, capture_output=True).returncode == 0
        if drift_ok:
            rows.append(("`strata drift --against FILE` (end to end, equal)",
                         hyperfine("drift", f"{pre} drift --against {dump} >/dev/null 2>&1", None, a.runs)))
        else:
            rows.append(("`strata drift --against FILE`: not measured (`strata drift --help` fails)", None))
        if drift_ok and cluster and a.replay:
            rows.extend(replay(cluster, a.replay, a.runs))
    finally:
        if cluster:
            cluster.stop()
    lines = [
        f"# strata schema benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"Machine: {machine()}.",
        "",
        f"Schema: {a.tables} tables (identity pk, check, foreign key to the previous table, index), "
        f"{a.tables // 10} views; {objects} objects in the dump ({dump.stat().st_size / 1024:.0f} KiB); "
        f"built by one `strata migrate` in {build_s:.1f} s. Medians of {a.runs} runs.",
        "",
        "| measurement | median |",
        "|---|---|",
    ]
    for name, t in rows:
        lines.append(f"| {name} | {fmt_time(t)} |")
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "schema-latest.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
