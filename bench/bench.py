#!/usr/bin/env python3
"""strata's benchmark: strata against its peers and the floor, on a throwaway
PostgreSQL cluster with default durability (fsync and synchronous_commit on).

One command, from the repository root:

    python3 bench/bench.py            # everything (installs peers, ~30-60 min)
    python3 bench/bench.py --quick    # strata and psql only, fewer runs

Writes bench/results/latest.md (a markdown table with ratios to the floor)
and prints it. Not part of CI. Needs: cargo, PostgreSQL server binaries,
hyperfine (installed with apt when missing), and for the peers cargo/npm/apt.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
TOOLS = BENCH / ".tools"
WORK = BENCH / ".work"
RESULTS = BENCH / "results"
STRATA = ROOT / "target" / "release" / "strata"


def sh(cmd, check=True, env=None, quiet=False, **kw):
    if not quiet:
        print("+", cmd if isinstance(cmd, str) else " ".join(map(str, cmd)), file=sys.stderr)
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=check, env=env, text=True, **kw)


def out(cmd, env=None):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, env=env, text=True,
                          capture_output=True).stdout.strip()


# ---------------------------------------------------------------- tools

def ensure_apt(pkg, binary):
    if shutil.which(binary):
        return True
    r = sh(f"apt-get install -y -q {pkg} >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q {pkg} >/dev/null)", check=False)
    return r.returncode == 0 and shutil.which(binary) is not None


def install_peers(selected):
    """Installs each selected peer from its registry; returns {tool: command path}."""
    TOOLS.mkdir(parents=True, exist_ok=True)
    found = {}
    cargo_bin = TOOLS / "bin"
    if "sqlx" in selected:
        exe = cargo_bin / "sqlx"
        if not exe.exists():
            sh(["cargo", "install", "sqlx-cli", "--version", "0.9.0", "--locked", "--no-default-features",
                "--features", "rustls,postgres", "--root", str(TOOLS)], check=False)
        if exe.exists():
            found["sqlx"] = str(exe)
    if "refinery" in selected:
        exe = cargo_bin / "refinery"
        if not exe.exists():
            sh(["cargo", "install", "refinery_cli", "--version", "0.10.0", "--locked", "--no-default-features",
                "--features", "postgresql", "--root", str(TOOLS)], check=False)
        if exe.exists():
            found["refinery"] = str(exe)
    npm_dir = TOOLS / "npm"
    if {"dbmate", "node-pg-migrate"} & set(selected):
        if not (npm_dir / "node_modules" / ".bin" / "dbmate").exists():
            npm_dir.mkdir(parents=True, exist_ok=True)
            sh(["npm", "install", "--silent", "--prefix", str(npm_dir), "dbmate@2.36.0", "node-pg-migrate@9.0.0", "pg"],
               check=False)
        for tool in ("dbmate", "node-pg-migrate"):
            exe = npm_dir / "node_modules" / ".bin" / tool
            if tool in selected and exe.exists():
                found[tool] = str(exe)
    if "sqitch" in selected and ensure_apt("sqitch libdbd-pg-perl", "sqitch"):
        found["sqitch"] = shutil.which("sqitch")
    return found


# ---------------------------------------------------------------- cluster

class Cluster:
    """A durable cluster managed by strata's own `dev` commands in WORK/cluster."""

    def __init__(self):
        self.project = WORK / "cluster-project"
        self.project.mkdir(parents=True, exist_ok=True)
        (self.project / "strata.toml").write_text(
            '[databases.bench]\nurl_env = "BENCH_UNUSED_URL"\n[environments.dev]\nlocal_cluster = true\n')
        (self.project / "migrations").mkdir(exist_ok=True)
        sh([str(STRATA), "-C", str(self.project), "dev", "up"])
        status = json.loads(out([str(STRATA), "-C", str(self.project), "--json", "dev", "status"]))
        self.port = status["port"]
        self.bin = find_pg_bin()
        self.base = f"postgres://postgres@127.0.0.1:{self.port}"

    def url(self, db):
        return f"{self.base}/{db}"

    def psql(self, db, sql):
        return out([str(self.bin / "psql"), "-X", "-q", "-At", "-d", self.url(db), "-c", sql])

    def recreate_cmd(self, db):
        psql = self.bin / "psql"
        return (f"{psql} -X -q -d {self.url('postgres')} -c 'DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)' "
                f"-c 'CREATE DATABASE \"{db}\"'")

    def recreate(self, db):
        sh(self.recreate_cmd(db), quiet=True)

    def stop(self):
        sh([str(STRATA), "-C", str(self.project), "dev", "down"], check=False)


def find_pg_bin():
    if os.environ.get("STRATA_PG_BIN"):
        return Path(os.environ["STRATA_PG_BIN"])
    if shutil.which("pg_config"):
        d = Path(out(["pg_config", "--bindir"]))
        if (d / "initdb").exists():
            return d
    cands = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    for c in cands:
        if (c / "initdb").exists():
            return c
    return Path(shutil.which("initdb")).parent


# ---------------------------------------------------------------- workloads

def statements(i):
    """Migration i (1-based): a CREATE TABLE or an ADD COLUMN … DEFAULT 0, plus a CREATE INDEX."""
    k = (i - 1) // 10
    if (i - 1) % 10 == 0:
        return [f"CREATE TABLE t{k} (id int)", f"CREATE INDEX t{k}_id ON t{k} (id)"]
    return [f"ALTER TABLE t{k} ADD COLUMN c{i} int DEFAULT 0", f"CREATE INDEX t{k}_c{i} ON t{k} (c{i})"]


def body(i):
    return "".join(s + ";\n" for s in statements(i))


def generate(n, tools):
    base = WORK / f"n{n}"
    if base.exists():
        shutil.rmtree(base)
    d = {}
    # strata
    p = base / "strata"
    (p / "migrations").mkdir(parents=True)
    (p / "strata.toml").write_text('[databases.main]\nmigrations = "migrations"\nurl_env = "DATABASE_URL"\n')
    for i in range(1, n + 1):
        (p / "migrations" / f"V{i:05}__m{i}.sql").write_text(body(i))
    d["strata"] = p
    # the floor: one file
    (base / "all.sql").write_text("".join(body(i) for i in range(1, n + 1)))
    d["psql"] = base / "all.sql"
    if "sqlx" in tools:
        p = base / "sqlx"
        p.mkdir()
        for i in range(1, n + 1):
            (p / f"{i:05}_m{i}.sql").write_text(body(i))
        d["sqlx"] = p
    if "refinery" in tools:
        p = base / "refinery"
        p.mkdir()
        for i in range(1, n + 1):
            (p / f"V{i}__m{i}.sql").write_text(body(i))
        d["refinery"] = p
    if "dbmate" in tools:
        p = base / "dbmate"
        p.mkdir()
        for i in range(1, n + 1):
            (p / f"{i:05}_m{i}.sql").write_text(f"-- migrate:up\n{body(i)}\n-- migrate:down\n")
        d["dbmate"] = p
    if "node-pg-migrate" in tools:
        p = base / "npm"
        p.mkdir()
        for i in range(1, n + 1):
            (p / f"{i:05}_m{i}.sql").write_text(f"-- Up Migration\n{body(i)}\n-- Down Migration\n")
        d["node-pg-migrate"] = p
    if "sqitch" in tools:
        p = base / "sqitch"
        for sub in ("deploy", "revert", "verify"):
            (p / sub).mkdir(parents=True)
        (p / "sqitch.conf").write_text('[core]\n\tengine = pg\n\ttop_dir = .\n')
        plan = ["%syntax-version=1.0.0", "%project=bench", ""]
        for i in range(1, n + 1):
            (p / "deploy" / f"m{i}.sql").write_text(body(i))
            (p / "revert" / f"m{i}.sql").write_text("SELECT 1;\n")
            (p / "verify" / f"m{i}.sql").write_text("SELECT 1;\n")
            plan.append(f"m{i} 2026-01-01T00:00:00Z bench <bench@example.com> # m{i}")
        (p / "sqitch.plan").write_text("\n".join(plan) + "\n")
        d["sqitch"] = p
    return d


def commands(tool, paths, cluster, db, peers, action="apply"):
    url = cluster.url(db)
    psql = cluster.bin / "psql"
    if tool in ("strata", "strata-baseline"):
        sub = {"apply": "migrate -q", "status": "status", "noop": "migrate -q", "verify": "verify -q",
               "single": "migrate -q --single-transaction"}[action]
        exe = STRATA if tool == "strata" else peers["strata-baseline"]
        return f"DATABASE_URL={url} {exe} -C {paths['strata']} {sub}"
    if tool == "psql":
        return f"{psql} -X -q -1 -v ON_ERROR_STOP=1 -o /dev/null -d {url} -f {paths['psql']}"
    if tool == "psql-autocommit":
        return f"{psql} -X -q -v ON_ERROR_STOP=1 -o /dev/null -d {url} -f {paths['psql']}"
    if tool == "sqlx":
        sub = {"apply": "run", "noop": "run", "status": "info"}[action]
        return f"{peers['sqlx']} migrate {sub} --source {paths['sqlx']} --database-url {url}"
    if tool == "refinery":
        return f"DATABASE_URL={url} {peers['refinery']} migrate -e DATABASE_URL -p {paths['refinery']}"
    if tool == "dbmate":
        sub = {"apply": "up", "noop": "up", "status": "status"}[action]
        return f"{peers['dbmate']} --url {url}?sslmode=disable --migrations-dir {paths['dbmate']} --no-dump-schema {sub}"
    if tool == "node-pg-migrate":
        return f"DATABASE_URL={url} {peers['node-pg-migrate']} up -m {paths['node-pg-migrate']} --migration-file-language sql"
    if tool == "sqitch":
        sub = {"apply": "deploy", "noop": "deploy", "status": "status"}[action]
        return f"cd {paths['sqitch']} && {peers['sqitch']} {sub} db:pg://postgres@127.0.0.1:{cluster.port}/{db}"
    raise ValueError(tool)


# ---------------------------------------------------------------- measuring

def hyperfine(name, cmd, prepare, runs):
    export = WORK / f"hf-{abs(hash(name))}.json"
    args = ["hyperfine", "--style", "none", "--runs", str(runs), "--export-json", str(export), "--shell=bash"]
    if prepare:
        args += ["--prepare", prepare]
    args.append(cmd)
    r = sh(args, check=False, capture_output=True)
    if r.returncode != 0:
        print(f"  {name}: FAILED\n{r.stderr[-2000:]}", file=sys.stderr)
        return None
    data = json.loads(export.read_text())["results"][0]
    return data["median"]


def peak_rss_kib(cmd, prepare=None):
    if prepare:
        sh(prepare, quiet=True)
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "bash", "-c", cmd], capture_output=True, text=True)
    try:
        return int(r.stderr.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def fmt_time(s):
    if s is None:
        return "–"
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="strata and psql only, 3 runs, smaller extras")
    ap.add_argument("--tools", default="sqlx,refinery,dbmate,node-pg-migrate,sqitch")
    ap.add_argument("--sizes", default="1,100,1000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--big-mb", type=int, default=200, help="size of the one-file migration (MB)")
    ap.add_argument("--verify-n", type=int, default=10000)
    ap.add_argument("--skip-extras", action="store_true")
    ap.add_argument("--baseline", metavar="BIN",
                    help="another strata binary (e.g. an older commit's release build), measured in the same run "
                         "as the tool 'strata-baseline', so before/after ratios come from one run")
    a = ap.parse_args()
    if a.quick:
        a.tools, a.runs, a.big_mb, a.verify_n = "", 3, 20, 2000
    tools = [t for t in a.tools.split(",") if t]
    sizes = [int(s) for s in a.sizes.split(",")]

    if not ensure_apt("hyperfine", "hyperfine"):
        sys.exit("hyperfine is needed: apt-get install hyperfine")
    sh(["cargo", "build", "--release", "-q", "-p", "strata-pg-cli"], cwd=ROOT)
    WORK.mkdir(parents=True, exist_ok=True)
    peers = install_peers(tools)
    if a.baseline:
        peers["strata-baseline"] = str(Path(a.baseline).resolve())
        tools.append("strata-baseline")
    tools = [t for t in tools if t in peers]
    cluster = Cluster()
    rows = []  # (case, tool, median_s, floor_s, rss)
    try:
        for n in sizes:
            paths = generate(n, tools)
            runs = a.runs if n < 1000 else max(3, a.runs // 2)
            floor = hyperfine(f"psql n{n}", commands("psql", paths, cluster, "b_psql", peers),
                              cluster.recreate_cmd("b_psql"), runs)
            rows.append((f"apply N={n}", "psql -1 -f (floor)", floor, floor, None))
            if n == max(sizes):
                t = hyperfine(f"psql ac n{n}", commands("psql-autocommit", paths, cluster, "b_psql", peers),
                              cluster.recreate_cmd("b_psql"), runs)
                rows.append((f"apply N={n}", "psql autocommit", t, floor, None))
            for tool in ["strata"] + tools:
                db = f"b_{tool.replace('-', '_')}"
                t = hyperfine(f"{tool} n{n}", commands(tool, paths, cluster, db, peers), cluster.recreate_cmd(db), runs)
                rows.append((f"apply N={n}", tool, t, floor, None))
            if n == max(sizes):
                t = hyperfine(f"strata single n{n}", commands("strata", paths, cluster, "b_strata", peers, "single"),
                              cluster.recreate_cmd("b_strata"), runs)
                rows.append((f"apply N={n}", "strata --single-transaction", t, floor, None))
                # status and no-op migrate with N applied
                for tool in ["strata"] + tools:
                    db = f"b_{tool.replace('-', '_')}"
                    cluster.recreate(db)
                    sh(commands(tool, paths, cluster, db, peers), quiet=True, stdout=subprocess.DEVNULL)
                    if tool in ("strata", "strata-baseline", "sqlx", "dbmate", "sqitch"):
                        st = hyperfine(f"{tool} status", commands(tool, paths, cluster, db, peers, "status") + " >/dev/null", None, 10)
                        rss = peak_rss_kib(commands(tool, paths, cluster, db, peers, "status") + " >/dev/null")
                        rows.append((f"status, N={n} applied", tool, st, None, rss))
                    nt = hyperfine(f"{tool} noop", commands(tool, paths, cluster, db, peers, "noop") + " >/dev/null", None, 10)
                    rows.append((f"no-op migrate, N={n}", tool, nt, None, None))
                    if tool in ("strata", "strata-baseline"):
                        vt = hyperfine(f"{tool} verify", commands(tool, paths, cluster, db, peers, "verify"), None, 10)
                        rows.append((f"verify, N={n} applied", tool, vt, None, None))
        if not a.skip_extras:
            extras(a, cluster, rows)
    finally:
        cluster.stop()
    report(rows, a)


def extras(a, cluster, rows):
    # verify / status with many applied (trivial migrations). Measured before
    # the big file, whose checkpoint and autovacuum would otherwise still be
    # running on the server.
    many = WORK / "many"
    if many.exists():
        shutil.rmtree(many)
    (many / "migrations").mkdir(parents=True)
    (many / "strata.toml").write_text('[databases.main]\nmigrations = "migrations"\nurl_env = "DATABASE_URL"\n')
    for i in range(1, a.verify_n + 1):
        (many / "migrations" / f"V{i:05}__m{i}.sql").write_text(f"SELECT {i};\n")
    cluster.recreate("b_many")
    env = dict(os.environ, DATABASE_URL=cluster.url("b_many"))
    sh([str(STRATA), "-C", str(many), "migrate", "-q"], env=env)
    for action in ("verify", "status"):
        cmd = f"DATABASE_URL={cluster.url('b_many')} {STRATA} -C {many} {action} -q >/dev/null"
        t = hyperfine(f"many {action}", cmd, None, 10)
        rss = peak_rss_kib(cmd)
        rows.append((f"{action}, N={a.verify_n} applied", "strata", t, None, rss))
    # One big file: --big-mb MB of INSERTs, strata vs psql -1 -f.
    big = WORK / "big"
    if big.exists():
        shutil.rmtree(big)
    (big / "migrations").mkdir(parents=True)
    (big / "strata.toml").write_text('[databases.main]\nmigrations = "migrations"\nurl_env = "DATABASE_URL"\n')
    target = a.big_mb * 1024 * 1024
    pad = "x" * 150
    with open(big / "migrations" / "V1__big.sql", "w") as f:
        f.write("CREATE TABLE big (id int, payload text);\n")
        i, size = 0, 0
        while size < target:
            line = f"INSERT INTO big VALUES ({i}, '{pad}');\n"
            f.write(line)
            size += len(line)
            i += 1
    n_statements = i + 1
    psql = cluster.bin / "psql"
    floor = hyperfine("big psql", f"{psql} -X -q -1 -v ON_ERROR_STOP=1 -o /dev/null -d {cluster.url('b_big')} -f {big}/migrations/V1__big.sql",
                      cluster.recreate_cmd("b_big"), 1 if a.big_mb >= 100 else 3)
    case = f"apply one {a.big_mb} MB file ({n_statements:,} statements)"
    rows.append((case, "psql -1 -f (floor)", floor, floor, None))
    cmd = f"DATABASE_URL={cluster.url('b_big')} {STRATA} -C {big} migrate -q"
    t = hyperfine("big strata", cmd, cluster.recreate_cmd("b_big"), 1 if a.big_mb >= 100 else 3)
    rss = peak_rss_kib(cmd, cluster.recreate_cmd("b_big"))
    rows.append((case, "strata", t, floor, rss))

    t = hyperfine("version", f"{STRATA} --version", None, 50)
    rows.append(("--version", "strata", t, None, None))


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    pg = out([str(find_pg_bin() / "postgres"), "--version"])
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}, {pg}, default durability"


def report(rows, a):
    lines = [
        f"# strata benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"Machine: {machine()}.",
        "",
        "Wall-clock medians (hyperfine); each apply starts from a fresh database. "
        "Ratio: to `psql -1 -f` on the same workload. Peak RSS from `/usr/bin/time -f %M`.",
        "",
        "| case | tool | median | ratio to floor | peak RSS |",
        "|---|---|---|---|---|",
    ]
    for case, tool, t, floor, rss in rows:
        ratio = f"{t / floor:.2f}×" if t and floor else "–"
        r = f"{rss / 1024:.1f} MiB" if rss else "–"
        lines.append(f"| {case} | {tool} | {fmt_time(t)} | {ratio} | {r} |")
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
