#!/bin/sh
# The cost of `enforce audit` over 1,000 commits against `git log -p` over
# the same range (the target is at most 2x), in the repository that made
# them and in a fresh clone with the receipts fetched, as CI has it.
# Rounds are interleaved; medians are shown. Results, never asserts.
#
#     sh bench/audit.sh                        # 1,000 commits, 5 rounds
#     COMMITS=200 ROUNDS=3 sh bench/audit.sh
#     ENFORCE=/path/to/enforce sh bench/audit.sh
#
# The history is bench/history.sh's: commits made through the hooks, with
# receipts, two rules on and two content rules, so every rule is judged.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ENFORCE=${ENFORCE:-$ROOT/target/release/enforce}
COMMITS=${COMMITS:-1000}
ROUNDS=${ROUNDS:-5}
WORK=$ROOT/bench/work/audit

. "$ROOT/bench/history.sh"
mkdir -p "$WORK"

FRESH=$WORK/clone-$COMMITS
rm -rf "$FRESH"
git clone -q --no-local "$CLIENT" "$FRESH"
git -C "$FRESH" fetch -q origin '+refs/notes/enforce:refs/notes/enforce'

root=$(git -C "$CLIENT" rev-list --max-parents=0 HEAD)
range="$root..HEAD"
judged=$((COMMITS - 1))

# Seconds one run of "$@" takes in directory $1.
took() {
    dir=$1
    shift
    start=$(now)
    (cd "$dir" && "$@") >"$WORK/out" 2>"$WORK/err" || [ $? -eq 1 ] || {
        echo "bench: $* failed in $dir:" >&2
        cat "$WORK/err" >&2
        exit 1
    }
    elapsed "$start" "$(now)"
}

for where in client fresh; do
    eval "log_$where=''; audit_$where=''"
done
round=1
while [ "$round" -le "$ROUNDS" ]; do
    for where in client fresh; do
        if [ "$where" = client ]; then dir=$CLIENT; else dir=$FRESH; fi
        t=$(took "$dir" git log -p "$range")
        eval "log_$where=\"\$log_$where $t\""
        t=$(took "$dir" "$ENFORCE" audit "$range")
        grep -q "all $judged commit(s) pass" "$WORK/out" || {
            echo "bench: the audit in $dir did not pass every commit:" >&2
            cat "$WORK/out" "$WORK/err" >&2
            exit 1
        }
        eval "audit_$where=\"\$audit_$where $t\""
    done
    round=$((round + 1))
done

median() { printf '%s\n' $1 | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "audit of $judged commits, median of $ROUNDS round(s), $(nproc) core(s):"
for where in client fresh; do
    eval "logs=\$log_$where; audits=\$audit_$where"
    log=$(median "$logs")
    audit=$(median "$audits")
    if [ "$where" = client ]; then label="the repository that made them"; else label="a fresh clone, notes fetched"; fi
    echo "  in $label:"
    printf '    git log -p        %6.3f s  (%s)\n' "$log" "$logs"
    printf '    enforce audit     %6.3f s  (%s)\n' "$audit" "$audits"
    printf '    ratio             %6.2f    (target: at most 2)\n' "$(echo "$audit / $log" | bc -l)"
done
