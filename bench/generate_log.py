#!/usr/bin/env python3
"""Writes a deterministic events log for the benchmarks.

Usage: generate_log.py PATH [--events N] [--days D] [--seed S]

Most lines are in enforce's own format (RFC 3339 timestamps with offset,
chained with `seq` and `prev`); about a third are in the Python
predecessor's format (naive local timestamps, ", " separators, no chain
fields); one line in a thousand is malformed. Timestamps spread over the
last D days before the fixed instant 2026-11-21T12:00:00Z, in order.
"""
import argparse
import hashlib
import json
import random
from datetime import datetime, timedelta, timezone

TYPES = [
    ("commit_completed", 30), ("commit_review_required", 28), ("import_allowed", 12),
    ("import_blocked", 6), ("violation_detected", 5), ("review_approved", 8),
    ("commit_blocked", 4), ("bypass_review", 1), ("bypass_agent_trailer", 1),
    ("commit_review_bypassed", 0.2), ("commit_gitignore_only", 2), ("audit_would_block", 1),
]
RULES = ["web-access-policy", "task-tool", "no-debug-print", "no-secrets", "review", "agent-trailer"]
USERS = ["Ada Agent <ada@example.com>", "Bob Bot <bob@example.com>", "Cy Coder <cy@example.com>"]
BRANCHES = ["main", "feat/parser", "fix/login", "dev"]
SOURCES = {"import_blocked": "guards.py", "import_allowed": "guards.py", "violation_detected": "violation_watcher.py"}
NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=timezone.utc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    names = [t for t, _ in TYPES]
    weights = [w for _, w in TYPES]
    span = a.days * 86400
    prev = "0" * 64
    seq = 0
    with open(a.path, "w", encoding="utf-8") as out:
        for i in range(a.events):
            at = NOW - timedelta(seconds=span * (1 - i / a.events)) + timedelta(microseconds=rng.randrange(1_000_000))
            kind = rng.choices(names, weights)[0]
            details = {"branch": rng.choice(BRANCHES), "user": rng.choice(USERS)}
            if kind in ("violation_detected", "commit_blocked", "audit_would_block"):
                details.update(rule=rng.choice(RULES), file=f"src/mod{rng.randrange(50)}.py", line=rng.randrange(1, 500), severity="high")
            if kind.startswith("bypass") or kind == "commit_review_bypassed":
                details.update(bypass_method="PILOT_SKIP_REVIEW=1", reason="hotfix", files=["a.py"], file_count=1)
            if kind == "commit_completed":
                details.update(commit_sha="%040x" % rng.getrandbits(160), files_changed=rng.randrange(1, 20), agent="claude-code", rules_checked=["review", "agent-trailer"], rules_count=2)
            if kind in ("import_blocked", "import_allowed"):
                details.update(module=rng.choice(["requests", "httpx", "json", "os"]))
            source = SOURCES.get(kind, "pre-commit")
            if rng.random() < 0.001:
                line = '{"timestamp": "%s", "event_type": "torn' % at.isoformat()
            elif rng.random() < 0.33:
                line = json.dumps({"timestamp": at.replace(tzinfo=None).isoformat(), "event_type": kind, "source": source, "details": details})
            else:
                seq += 1
                line = json.dumps({"timestamp": at.isoformat(timespec="microseconds"), "event_type": kind, "source": source, "details": details, "seq": seq, "prev": prev}, separators=(",", ":"))
            prev = hashlib.sha256(line.encode()).hexdigest()
            out.write(line + "\n")


if __name__ == "__main__":
    main()
