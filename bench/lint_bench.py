#!/usr/bin/env python3
"""strata lint's benchmark: `strata lint --offline` over a generated folder of
N migration files (default 10,000), no database. Not part of CI.

    python3 bench/lint_bench.py               # builds the release binary first
    python3 bench/lint_bench.py --no-build --runs 10 --files 10000

The folder is a realistic mix: every tenth file creates a table (6 columns,
a primary key, a foreign key to the previous table), the others add a
column, create an index on a table created earlier in the run (no finding:
the linter remembers created tables), add a check constraint `NOT VALID`,
or update rows; every 50th file holds a hazard on a table the run did not
create (a non-concurrent index, `SET NOT NULL`, a type change, `TRUNCATE`,
a volatile default), so about 2% of the files have a finding. Times each
run with a monotonic clock (hyperfine when installed) and prints the
median; target: under 2 s for 10,000 files.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "lint"
STRATA = ROOT / "target" / "release" / "strata"

HAZARDS = [
    "CREATE INDEX legacy_orders_at ON legacy_orders (created_at);",
    "ALTER TABLE legacy_users ALTER COLUMN email SET NOT NULL;",
    "ALTER TABLE legacy_users ALTER COLUMN id TYPE bigint;",
    "TRUNCATE legacy_sessions;",
    "ALTER TABLE legacy_events ADD COLUMN token uuid DEFAULT gen_random_uuid();",
]


def body(i):
    """Migration i (1-based)."""
    k = (i - 1) // 10
    t = f"t{k}"
    if i % 50 == 0:
        return f"-- a hazard on a table that exists already\n{HAZARDS[(i // 50) % len(HAZARDS)]}\n"
    if (i - 1) % 10 == 0:
        fk = f",\n    parent_id bigint REFERENCES t{k - 1} (id)" if k else ""
        return (
            f"-- table {t}\nCREATE TABLE {t} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
            f"    name text NOT NULL,\n    email text,\n    status text NOT NULL DEFAULT 'new',\n"
            f"    created_at timestamptz NOT NULL DEFAULT now(),\n    amount numeric(12, 2){fk}\n);\n"
            f"COMMENT ON TABLE {t} IS 'generated table {k}';\n"
        )
    kind = i % 4
    if kind == 0:
        return f"ALTER TABLE {t} ADD COLUMN c{i} integer;\nALTER TABLE {t} ADD COLUMN d{i} text DEFAULT 'x';\n"
    if kind == 1:
        return f"CREATE INDEX {t}_c{i} ON {t} (created_at, status);\n"
    if kind == 2:
        return (
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_amount_{i} CHECK (amount >= 0) NOT VALID;\n"
            f"ALTER TABLE {t} VALIDATE CONSTRAINT {t}_amount_{i};\n"
        )
    return (
        f"UPDATE {t} SET status = 'active' WHERE status = 'new' AND created_at < '2026-01-01';\n"
        f"INSERT INTO {t} (name, email) VALUES ('n{i}', 'n{i}@example.com');\n"
    )


def generate(n):
    proj = WORK / f"n{n}"
    if proj.exists():
        shutil.rmtree(proj)
    (proj / "migrations").mkdir(parents=True)
    (proj / "strata.toml").write_text('[databases.main]\nmigrations = "migrations"\n')
    width = len(str(n))
    for i in range(1, n + 1):
        (proj / "migrations" / f"V{i:0{width}}__m{i}.sql").write_text(body(i))
    return proj


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--no-build", action="store_true", help="use target/release/strata as it is")
    ap.add_argument("--binary", default=str(STRATA))
    a = ap.parse_args()
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "strata-pg-cli"], cwd=ROOT, check=True)
    proj = generate(a.files)
    cmd = [a.binary, "-C", str(proj), "lint", "--offline"]
    # One warm-up run (page cache, the scan cache), and a check of what it found.
    first = subprocess.run(cmd, capture_output=True, text=True)
    findings = first.stdout.count("warning[") + first.stdout.count("error[")
    print(f"{a.files} files, exit {first.returncode}, {findings} findings", file=sys.stderr, flush=True)
    times = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(f"strata lint --offline, {a.files} files: median {med:.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}, {a.runs} runs); target < 2 s: "
          f"{'holds' if med < 2 else 'NOT MET'}")


if __name__ == "__main__":
    main()
