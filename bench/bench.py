#!/usr/bin/env python3
"""enforce's benchmarks: commit overhead of the hooks, reports over a
million events, and appends. Results, never asserts.

    python3 bench/bench.py            # full run (about 10 minutes on 2 cores)
    python3 bench/bench.py --backtest # only `enforce backtest` over 1,000 commits
    python3 bench/bench.py --quick    # fewer rounds, a 100,000-event log
    python3 bench/bench.py --write    # also rewrite docs/performance.md

Everything is generated deterministically under bench/work/ (git-ignored):
a 50-file and a 100,000-file repository and the events log. Commit timings
are interleaved round by round in a shuffled order, so drift of the machine
hits every configuration alike; the tables show medians.
"""
import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
BIN = ROOT / "target" / "release" / "enforce"  # see build()
NOW = "2026-11-21T12:00:00+00:00"
# Reports and cleanup run outside any repository: a cleanup re-anchors the
# log it rewrites, which must not write refs into this checkout.
OUTSIDE = tempfile.gettempdir()
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "ENFORCE_", "PILOT_"))}
CLEAN_ENV.update(
    GIT_CONFIG_NOSYSTEM="1",
    GIT_CONFIG_GLOBAL="/dev/null",
    GIT_AUTHOR_NAME="Bench Agent",
    GIT_AUTHOR_EMAIL="bench@example.com",
    GIT_COMMITTER_NAME="Bench Agent",
    GIT_COMMITTER_EMAIL="bench@example.com",
)


def sh(args, cwd=None, env=None, check=True, quiet=True):
    out = subprocess.run(args, cwd=cwd, env=env or CLEAN_ENV, capture_output=quiet, text=True)
    if check and out.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, args))} failed:\n{out.stderr}")
    return out


def timed(args, cwd=None, env=None):
    start = time.perf_counter()
    out = subprocess.run(args, cwd=cwd, env=env or CLEAN_ENV, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    return elapsed, out


def peak_rss_kb(args, env, cwd=None):
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + args, cwd=cwd, env=env, capture_output=True, text=True)
    return int(out.stderr.strip().splitlines()[-1])


def median_ms(values):
    return statistics.median(values) * 1000


# ---------------------------------------------------------------- commits

def make_repo(path, files):
    if (path / ".git").exists():
        return
    path.mkdir(parents=True)
    sh(["git", "init", "-q", "-b", "main"], cwd=path)
    for i in range(files):
        d = path / f"d{i // 1000:03d}"
        d.mkdir(exist_ok=True)
        (d / f"f{i:06d}.py").write_text(f"value = {i}\n")
    sh(["git", "add", "-A"], cwd=path)
    sh(["git", "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "base"], cwd=path)


TOOLS = WORK / "tools"
LEFTHOOK = "lefthook 2, a no-op command on the same three hooks"
PRE_COMMIT = "pre-commit 4, one no-op local hook on the same three stages"


def lefthook_bin():
    """lefthook from the npm registry, installed under bench/work/tools."""
    prefix = TOOLS / "npm"
    binary = prefix / "node_modules" / ".bin" / "lefthook"
    if not binary.exists():
        if not shutil.which("npm"):
            print("bench: npm is missing: no lefthook row", file=sys.stderr)
            return None
        prefix.mkdir(parents=True, exist_ok=True)
        # --ignore-scripts: lefthook's postinstall would run `lefthook
        # install` in the directory npm was started from (this checkout).
        out = subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-save", "--silent", "--ignore-scripts",
                              "lefthook@2"], cwd=prefix, capture_output=True, text=True)
        if out.returncode != 0 or not binary.exists():
            print(f"bench: could not install lefthook (npm install lefthook@2): {out.stderr.strip()[:300]}", file=sys.stderr)
            return None
    return binary


def pre_commit_bin():
    """pre-commit from PyPI, in a virtual environment under bench/work/tools."""
    venv = TOOLS / "venv"
    binary = venv / "bin" / "pre-commit"
    if not binary.exists():
        made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
        pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "pre-commit>=4,<5"], capture_output=True, text=True) \
            if made.returncode == 0 else made
        if pip.returncode != 0 or not binary.exists():
            print(f"bench: could not install pre-commit (pip install pre-commit): {pip.stderr.strip()[:300]}", file=sys.stderr)
            return None
    return binary


def tool_version(binary):
    args = [str(binary), "version"] if binary.name == "lefthook" else [str(binary), "--version"]
    out = subprocess.run(args, capture_output=True, text=True)
    return out.stdout.strip().split()[-1] if out.returncode == 0 and out.stdout.strip() else "?"


def managed_hooks(repo, tools):
    """The hook managers teams use instead, on the same repository and the
    same three hooks, each doing nothing: what they cost is their own
    start-up. Returns {row name: (hooks dir, extra PATH)}."""
    dirs = {}
    exclude = repo / ".git" / "info" / "exclude"
    lefthook = lefthook_bin()
    if lefthook:
        (repo / "lefthook.yml").write_text("".join(
            f"{hook}:\n  commands:\n    noop:\n      run: \"true\"\n" for hook in ("pre-commit", "commit-msg", "post-commit")))
        hooks = repo.parent / f"{repo.name}-hooks-lefthook"
        hooks.mkdir(exist_ok=True)
        sh(["git", "config", "core.hooksPath", str(hooks)], cwd=repo)
        sh([str(lefthook), "install", "--force"], cwd=repo)
        sh(["git", "config", "--unset", "core.hooksPath"], cwd=repo)
        tools["lefthook"] = tool_version(lefthook)
        # As in a project that installs it with npm: the hook finds the
        # native binary under node_modules (not the Node.js wrapper in .bin).
        dirs[LEFTHOOK] = (hooks, None)
    pre_commit = pre_commit_bin()
    if pre_commit:
        (repo / ".pre-commit-config.yaml").write_text(
            "repos:\n- repo: local\n  hooks:\n  - id: noop\n    name: noop\n    entry: \"true\"\n    language: system\n"
            "    always_run: true\n    pass_filenames: false\n    stages: [pre-commit, commit-msg, post-commit]\n")
        hooks = repo.parent / f"{repo.name}-hooks-pre-commit"
        hooks.mkdir(exist_ok=True)
        # pre-commit installs only into .git/hooks (it refuses core.hooksPath):
        # install there, then move its three scripts to their own directory.
        sh([str(pre_commit), "install", "-t", "pre-commit", "-t", "commit-msg", "-t", "post-commit"], cwd=repo)
        for name in ("pre-commit", "commit-msg", "post-commit"):
            shutil.move(str(repo / ".git" / "hooks" / name), str(hooks / name))
        tools["pre-commit"] = tool_version(pre_commit)
        dirs[PRE_COMMIT] = (hooks, None)
    exclude.write_text(".enforce.toml\nlefthook.yml\n.pre-commit-config.yaml\n")
    return dirs


def hook_dirs(repo):
    dirs = {}
    none = repo.parent / f"{repo.name}-hooks-none"
    none.mkdir(exist_ok=True)
    dirs["no hooks"] = none
    trivial = repo.parent / f"{repo.name}-hooks-trivial"
    trivial.mkdir(exist_ok=True)
    for name in ("pre-commit", "commit-msg", "post-commit"):
        hook = trivial / name
        hook.write_text("#!/bin/sh\nexit 0\n")
        hook.chmod(0o755)
    dirs["3 trivial shell hooks"] = trivial
    managed = repo.parent / f"{repo.name}-hooks-enforce"
    managed.mkdir(exist_ok=True)
    sh(["git", "config", "core.hooksPath", str(managed)], cwd=repo)
    sh([BIN, "install", "--no-config"], cwd=repo)
    sh(["git", "config", "--unset", "core.hooksPath"], cwd=repo)
    (repo / ".enforce.toml").write_text(
        '[[rules.content]]\nname = "no-debug-print"\npattern = \'\\bprint\\(\'\npaths = ["*.py"]\n'
    )
    (repo / ".git" / "info" / "exclude").write_text(".enforce.toml\n")
    dirs["enforce"] = managed
    return dirs


TOOL_VERSIONS = {}


def bench_commits(repo, files, rounds, big_log):
    make_repo(repo, files)
    dirs = hook_dirs(repo)
    managed = managed_hooks(repo, TOOL_VERSIONS)
    dirs.update({name: hooks for name, (hooks, _) in managed.items()})
    configs = list(dirs) + ["enforce, 1,000,000-event log"]
    times = {c: [] for c in configs}
    rng = random.Random(7)
    counter = 0
    for r in range(rounds):
        order = configs[:]
        rng.shuffle(order)
        for config in order:
            counter += 1
            target = repo / "d000" / f"f{counter % min(files, 1000):06d}.py"
            with open(target, "a") as f:
                f.write(f"value_{counter} = {counter}\n")
            sh(["git", "add", str(target)], cwd=repo)
            env = dict(CLEAN_ENV)
            hooks = dirs["enforce"] if config.startswith("enforce") else dirs[config]
            if config in managed and managed[config][1]:
                env["PATH"] = managed[config][1] + os.pathsep + env.get("PATH", "")
            if config.startswith("enforce, 1"):
                env["ENFORCE_EVENTS_FILE"] = str(big_log)
            if config.startswith("enforce"):
                sh([BIN, "review", "approve"], cwd=repo, env=env)
            elapsed, out = timed(
                ["git", "-c", f"core.hooksPath={hooks}", "commit", "-q", "-m", f"change {counter}", "-m", "Agent: bench"],
                cwd=repo,
                env=env,
            )
            if out.returncode != 0:
                sys.exit(f"bench: the commit under '{config}' failed:\n{out.stderr}")
            times[config].append(elapsed)
    return {c: median_ms(v) for c, v in times.items()}


def many_rules_config(count):
    """`count` content rules of the shapes teams write: assignments of
    secrets, markers, keys, case-insensitive words."""
    shapes = [
        r"(?i)secret_{i}\s*=",
        r"\bTODO_{i}\b",
        r"api[_-]?key_{i}",
        r"password{i}\s*:",
    ]
    rules = []
    for i in range(count):
        pattern = shapes[i % len(shapes)].format(i=i)
        rules.append(f"[[rules.content]]\nname = \"rule-{i}\"\npattern = '{pattern}'\npaths = [\"*.py\"]\n")
    return "\n".join(rules)


def bench_many_rules(rounds, rules=200, lines=1000):
    """Commit overhead with `rules` content rules on a change adding
    `lines` lines, interleaved with the same commit without hooks."""
    repo = WORK / f"repo-{rules}-rules"
    make_repo(repo, 50)
    hooks = repo.parent / f"{repo.name}-hooks-enforce"
    hooks.mkdir(exist_ok=True)
    none = repo.parent / f"{repo.name}-hooks-none"
    none.mkdir(exist_ok=True)
    sh(["git", "config", "core.hooksPath", str(hooks)], cwd=repo)
    sh([BIN, "install", "--no-config"], cwd=repo)
    sh(["git", "config", "--unset", "core.hooksPath"], cwd=repo)
    (repo / ".enforce.toml").write_text(many_rules_config(rules))
    (repo / ".git" / "info" / "exclude").write_text(".enforce.toml\n")
    times = {"no hooks": [], "enforce": []}
    counter = 0
    rng = random.Random(11)
    for _ in range(rounds):
        order = list(times)
        rng.shuffle(order)
        for config in order:
            counter += 1
            target = repo / f"added_{counter}.py"
            target.write_text("".join(f"value_{counter}_{n} = compute({n})  # line {n}\n" for n in range(lines)))
            sh(["git", "add", str(target)], cwd=repo)
            env = dict(CLEAN_ENV)
            if config == "enforce":
                sh([BIN, "review", "approve"], cwd=repo, env=env)
            elapsed, out = timed(
                ["git", "-c", f"core.hooksPath={hooks if config == 'enforce' else none}", "commit", "-q", "-m", f"add {counter}", "-m", "Agent: bench"],
                cwd=repo,
                env=env,
            )
            if out.returncode != 0:
                sys.exit(f"bench: the commit with {rules} rules failed:\n{out.stderr}")
            times[config].append(elapsed)
    return median_ms(times["enforce"]) - median_ms(times["no hooks"])


# ---------------------------------------------------------------- backtest

BACKTEST_PROPOSAL = """\
[[rules.content]]
name = "no-direct-http"
pattern = 'requests\\.(get|post)\\('
paths = ["*.py"]

[[rules.content]]
name = "no-magic-seven"
pattern = 'return x \\+ \\d*7$'
paths = ["*.py"]
exclude = ["src/m7/**"]

[[rules.content]]
name = "no-round-changes"
pattern = '^# change \\d*0$'
mode = "audit"
"""


def quiet_run(args, cwd, env):
    """Seconds one run of `args` takes, its output thrown away (as a
    terminal would take it, without this process reading it)."""
    start = time.perf_counter()
    out = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, args))} failed in {cwd}:\n{out.stderr}")
    return elapsed


def bench_backtest(rounds, commits=1000):
    """`enforce backtest` of a proposal (one content rule kept, one
    dropped, one added with an exclude, one in audit mode) over the
    history bench/history.sh makes through the hooks, against `git log -p`
    over the same range: in the repository that made it (mostly loose
    objects) and in a fresh clone with the receipts fetched (packed, as
    CI has it). Interleaved round by round; medians."""
    env = dict(CLEAN_ENV, ROOT=str(ROOT), ENFORCE=str(BIN), COMMITS=str(commits))
    sh(["sh", "-eu", "-c", '. "$ROOT/bench/history.sh"'], env=env, quiet=False)
    client = WORK / "history" / f"client-{commits}"
    work = WORK / "backtest"
    work.mkdir(parents=True, exist_ok=True)
    fresh = work / f"clone-{commits}"
    shutil.rmtree(fresh, ignore_errors=True)
    sh(["git", "clone", "-q", "--no-local", str(client), str(fresh)])
    sh(["git", "-C", str(fresh), "fetch", "-q", "origin", "+refs/notes/enforce:refs/notes/enforce"])
    proposal = work / "proposed.toml"
    proposal.write_text(BACKTEST_PROPOSAL)
    root = sh(["git", "rev-list", "--max-parents=0", "HEAD"], cwd=client).stdout.strip()
    span = f"{root}..HEAD"
    places = {"the repository that made them": client, "a fresh clone, notes fetched": fresh}
    backtest = [str(BIN), "backtest", "--config", str(proposal), "--range", span]
    for where, repo in places.items():
        out = sh(backtest + ["--json"], cwd=repo).stdout
        report = json.loads(out)
        rule = next(r for r in report["rules"] if r["rule"] == "no-magic-seven")
        if report["judged"] != commits - 1 or len(rule["newly_blocked"]) != commits // 20:
            sys.exit(f"bench: the backtest in {where} did not judge what it should:\n{out[:2000]}")
    times = {where: {"git log -p": [], "enforce backtest": []} for where in places}
    for _ in range(rounds):
        for where, repo in places.items():
            times[where]["git log -p"].append(quiet_run(["git", "log", "-p", span], repo, CLEAN_ENV))
            times[where]["enforce backtest"].append(quiet_run(backtest, repo, CLEAN_ENV))
    return {where: {k: median_ms(v) for k, v in t.items()} for where, t in times.items()}


# ---------------------------------------------------------------- reports

def ensure_log(path, events):
    marker = path.with_suffix(".events")
    if path.exists() and marker.exists() and marker.read_text() == str(events):
        return
    sh([sys.executable, ROOT / "bench" / "generate_log.py", path, "--events", str(events)])
    marker.write_text(str(events))


REPORTS = [
    ("stats", ["stats"], 250),
    ("score", ["score"], 300),
    ("alert", ["alert"], 300),
    ("dashboard", ["dashboard"], 500),
    ("events --limit 20", ["events", "--limit", "20"], 250),
    ("verify", ["verify"], 300),
    ("metrics", ["metrics"], 300),
]


def bench_cleanup(log, runs):
    """`enforce cleanup --days 7` on a copy of the log, made afresh for each
    run (the copy is not timed): it removes the older part and rewrites the
    rest, as a nightly cron job would."""
    env = dict(CLEAN_ENV, ENFORCE_NOW=NOW)
    copy = WORK / "cleanup-copy.jsonl"
    times, rss = [], 0
    for i in range(runs + 2):
        shutil.copyfile(log, copy)
        for side in (copy.with_name(copy.name + ".totals.json"),):
            side.unlink(missing_ok=True)
        full = [str(BIN), "--events-file", str(copy), "cleanup", "--days", "7"]
        if i < 2:
            rss = max(rss, peak_rss_kb(full, env, cwd=OUTSIDE))
        else:
            times.append(timed(full, cwd=OUTSIDE, env=env)[0])
    copy.unlink(missing_ok=True)
    return ("cleanup --days 7", median_ms(times), 500, rss / 1024)


def bench_reports(log, runs):
    env = dict(CLEAN_ENV, ENFORCE_NOW=NOW)
    rows = []
    for name, args, target in REPORTS:
        full = [str(BIN), "--events-file", str(log)] + args
        times = [timed(full, cwd=OUTSIDE, env=env)[0] for _ in range(runs)]
        rss = max(peak_rss_kb(full, env, cwd=OUTSIDE) for _ in range(2))
        rows.append((name, median_ms(times), target, rss / 1024))
    return rows


def bench_record(big_log, runs):
    empty = WORK / "empty.jsonl"
    copy = WORK / "record-big.jsonl"
    shutil.copyfile(big_log, copy)
    results = {"empty log": [], "1,000,000-line log": []}
    for _ in range(runs):
        for label, path in (("empty log", empty), ("1,000,000-line log", copy)):
            if label == "empty log" and empty.exists():
                empty.unlink()
            elapsed, out = timed([str(BIN), "--events-file", str(path), "record", "bench_event", "-s", "bench"])
            if out.returncode != 0:
                sys.exit(out.stderr)
            results[label].append(elapsed)
    return {k: median_ms(v) for k, v in results.items()}


# ---------------------------------------------------------------- report

def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // (1024 * 1024)
    git = sh(["git", "--version"]).stdout.strip()
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB, {platform.system()} {platform.release()}, {git}"


def render(args, commits, many_rules, backtest, reports, record, size, log_events, log_size):
    out = []
    out.append(f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()}.")
    out.append(f"Reproduce with: `python3 bench/bench.py{' --quick' if args.quick else ''}`.\n")
    out.append("### Commit overhead (median of interleaved rounds)\n")
    out.append("| per `git commit` | " + " | ".join(f"{n:,}-file repo" for n in commits) + " |")
    out.append("|---|" + "---|" * len(commits))
    configs = list(next(iter(commits.values())).keys())
    for config in configs:
        cells = []
        for n, medians in commits.items():
            base = medians["no hooks"]
            if config == "no hooks":
                cells.append(f"{base:.1f} ms")
            else:
                cells.append(f"{medians[config] - base:+.1f} ms")
        out.append(f"| {config} | " + " | ".join(cells) + " |")
    out.append("")
    if TOOL_VERSIONS:
        out.append("Hook managers measured in the same run: " + ", ".join(f"{k} {v}" for k, v in TOOL_VERSIONS.items()) + ".\n")
    for n, medians in commits.items():
        floor = medians["3 trivial shell hooks"] - medians["no hooks"]
        ours = medians["enforce"] - medians["no hooks"]
        target = 10 if n < 1000 else 50
        ratio = f"{ours / floor:.1f}× the trivial-hook floor of {floor:.1f} ms" if floor > 0.5 and ours > 0 else "within the noise of the commit itself"
        out.append(
            f"- {n:,} files: enforce adds {ours:+.1f} ms, {ratio} (target ≤ +{target} ms: {'met' if ours <= target else 'NOT met'})"
        )
    out.append(
        f"- 200 content rules on a change adding 1,000 lines (50-file repo): enforce adds {many_rules:+.1f} ms"
        f" (target ≤ +50 ms: {'met' if many_rules <= 50 else 'NOT met'})"
    )
    out.append("")
    out.extend(render_backtest(backtest))
    out.append("\n### Reports over a log of {:,} events ({:.0f} MB)\n".format(log_events, log_size / 1e6))
    out.append("| command | median | target | peak RSS |")
    out.append("|---|---:|---:|---:|")
    for name, ms, target, rss in reports:
        verdict = "met" if ms <= target and rss <= 30 else "NOT met"
        out.append(f"| `enforce {name}` | {ms:.0f} ms | ≤ {target} ms | {rss:.1f} MB ({verdict}) |")
    out.append("\n### Appends\n")
    out.append("| `enforce record` | median |")
    out.append("|---|---:|")
    for label, ms in record.items():
        out.append(f"| on an {label} | {ms:.2f} ms |" if label.startswith("empty") else f"| on a {label} | {ms:.2f} ms |")
    out.append(f"\nRelease binary: {size / 1e6:.1f} MB, {LINKED}. Async runtime in the dependency tree: {async_runtime()}.")
    return "\n".join(out) + "\n"


def render_backtest(backtest):
    out = ["### `enforce backtest` of a proposal over 1,000 commits (median of interleaved rounds)\n"]
    out.append("| where | `git log -p` | `enforce backtest` | ratio |")
    out.append("|---|---:|---:|---:|")
    for where, t in backtest.items():
        ratio = t["enforce backtest"] / t["git log -p"]
        out.append(f"| {where} | {t['git log -p']:.0f} ms | {t['enforce backtest']:.0f} ms | {ratio:.2f}× |")
    out.append("")
    for where, t in backtest.items():
        ratio = t["enforce backtest"] / t["git log -p"]
        out.append(
            f"- {where}: {ratio:.2f}× `git log -p` over the same 999 commits (target ≤ 2×: {'met' if ratio <= 2 else 'NOT met'})"
        )
    return out


def async_runtime():
    tree = sh(["cargo", "tree", "-e", "normal", "--prefix", "none"], cwd=ROOT).stdout
    found = sorted({line.split()[0] for line in tree.splitlines() if re.match(r"(tokio|async-std|smol) ", line)})
    return ", ".join(found) if found else "none"


def build():
    """Builds the binary `install.sh` installs here: a static PIE on Linux
    with glibc (scripts/static-build.sh), else the usual release build."""
    global BIN, LINKED
    helper = ROOT / "scripts" / "static-build.sh"
    target = subprocess.run(
        ["bash", "-c", f". '{helper}' && static_target"], capture_output=True, text=True
    ).stdout.strip()
    if target:
        print(f"building the release binary (static PIE, {target})…", file=sys.stderr)
        sh(["bash", "-c", f". '{helper}' && cargo_static {target} build --release --locked"], cwd=ROOT, quiet=False)
        BIN = ROOT / "target" / target / "release" / "enforce"
        LINKED = "static PIE, as install.sh builds it"
    else:
        print("building the release binary…", file=sys.stderr)
        sh(["cargo", "build", "--release", "--locked"], cwd=ROOT, quiet=False)
        LINKED = "dynamically linked"


LINKED = "dynamically linked"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--write", action="store_true", help="rewrite the results section of docs/performance.md")
    ap.add_argument("--backtest", action="store_true", help="time only `enforce backtest` over 1,000 commits")
    args = ap.parse_args()
    if args.backtest:
        if args.write:
            sys.exit("bench: --backtest times one row; --write needs the whole run")
        build()
        print("\n".join(render_backtest(bench_backtest(5 if args.quick else 15))))
        return
    if not Path("/usr/bin/time").exists() and shutil.which("apt-get"):
        print("installing GNU time (apt-get install time)…", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-qq", "time"], capture_output=True)
    for tool in ("git", "cargo", "/usr/bin/time"):
        if not shutil.which(tool):
            sys.exit(f"bench: `{tool}` is missing (GNU time: apt-get install time)")
    build()
    WORK.mkdir(parents=True, exist_ok=True)
    events = 100_000 if args.quick else 1_000_000
    log = WORK / "events.jsonl"
    print(f"generating a {events:,}-event log…", file=sys.stderr)
    ensure_log(log, events)

    print("timing reports…", file=sys.stderr)
    reports = bench_reports(log, 3 if args.quick else 7)
    reports.append(bench_cleanup(log, 3 if args.quick else 7))
    print("timing appends…", file=sys.stderr)
    record = bench_record(log, 10 if args.quick else 30)
    commits = {}
    for files, rounds in ((50, 10 if args.quick else 40), (100_000, 4 if args.quick else 30)):
        print(f"timing commits in a {files:,}-file repository…", file=sys.stderr)
        commits[files] = bench_commits(WORK / f"repo-{files}", files, rounds, log)
    print("timing a commit under 200 content rules…", file=sys.stderr)
    many_rules = bench_many_rules(6 if args.quick else 20)
    print("timing a backtest over 1,000 commits…", file=sys.stderr)
    backtest = bench_backtest(5 if args.quick else 15)
    text = render(args, commits, many_rules, backtest, reports, record, BIN.stat().st_size, events, log.stat().st_size)
    print(text)
    if args.write:
        doc = ROOT / "docs" / "performance.md"
        current = doc.read_text()
        start, end = "<!-- results:start -->", "<!-- results:end -->"
        before, rest = current.split(start, 1)
        _, after = rest.split(end, 1)
        doc.write_text(f"{before}{start}\n{text}{end}{after}")
        print(f"wrote {doc}", file=sys.stderr)


if __name__ == "__main__":
    main()
