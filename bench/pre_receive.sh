#!/bin/sh
# The cost of enforce's pre-receive on a 1,000-commit push (the target is
# at most 3 s on 2 cores): the same push into a bare repository without
# the hook and into one with `enforce install --server`, a few rounds each,
# fresh bare repositories every round. Results, never asserts.
#
#     sh bench/pre_receive.sh                  # 1,000 commits, 3 rounds
#     COMMITS=200 ROUNDS=1 sh bench/pre_receive.sh
#     ENFORCE=/path/to/enforce sh bench/pre_receive.sh
#
# The history is bench/history.sh's: commits made through the hooks, so
# the push carries real receipts and the audit runs every rule.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ENFORCE=${ENFORCE:-$ROOT/target/release/enforce}
COMMITS=${COMMITS:-1000}
ROUNDS=${ROUNDS:-3}
WORK=$ROOT/bench/work/pre-receive

. "$ROOT/bench/history.sh"
mkdir -p "$WORK"

cd "$WORK"
plain_times=""
hook_times=""
round=1
while [ "$round" -le "$ROUNDS" ]; do
    for kind in plain hook; do
        bare=$WORK/server-$kind.git
        rm -rf "$bare"
        git init -q --bare "$bare"
        [ "$kind" = hook ] && (cd "$bare" && "$ENFORCE" install --server >/dev/null)
        start=$(now)
        git -C "$CLIENT" push -q "$bare" main refs/notes/enforce 2>"$WORK/push.err" || {
            echo "bench: the $kind push failed:" >&2
            cat "$WORK/push.err" >&2
            exit 1
        }
        took=$(elapsed "$start" "$(now)")
        if [ "$kind" = plain ]; then plain_times="$plain_times $took"; else hook_times="$hook_times $took"; fi
    done
    if ! grep -q "$COMMITS new commit(s) pass the audit" "$WORK/push.err"; then
        echo "bench: pre-receive did not audit every commit:" >&2
        cat "$WORK/push.err" >&2
        exit 1
    fi
    round=$((round + 1))
done

median() { printf '%s\n' $1 | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
plain=$(median "$plain_times")
hook=$(median "$hook_times")
echo "push of $COMMITS commits with their receipts, median of $ROUNDS round(s), $(nproc) core(s):"
printf '  without pre-receive   %6.2f s  (%s)\n' "$plain" "$plain_times"
printf '  with enforce          %6.2f s  (%s)\n' "$hook" "$hook_times"
printf '  pre-receive costs     %6.2f s  (target: at most 3 s)\n' "$(echo "$hook - $plain" | bc)"
