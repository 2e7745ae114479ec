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
# The commits are made through the hooks (approved, trailered), under a
# committed policy with the two rules on and two content rules, so the
# push carries 1,000 real receipts and the audit runs every rule. Built
# once under bench/work/pre-receive/ (git-ignored) and reused.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ENFORCE=${ENFORCE:-$ROOT/target/release/enforce}
COMMITS=${COMMITS:-1000}
ROUNDS=${ROUNDS:-3}
WORK=$ROOT/bench/work/pre-receive
CLIENT=$WORK/client-$COMMITS

[ -x "$ENFORCE" ] || { echo "bench: no enforce at $ENFORCE (cargo build --release, or set ENFORCE)" >&2; exit 2; }

# A sealed environment, as the tests use.
for v in $(env | sed -n 's/^\(\(GIT\|ENFORCE\|PILOT\)_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export HOME="$WORK/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="Bench Agent" GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME="Bench Agent" GIT_COMMITTER_EMAIL=bench@example.com
mkdir -p "$HOME"

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

if [ ! -e "$CLIENT/.done" ]; then
    echo "bench: making $COMMITS commits through the hooks (once; a few minutes)" >&2
    rm -rf "$CLIENT"
    git init -q -b main "$CLIENT"
    cd "$CLIENT"
    "$ENFORCE" install --no-config >/dev/null
    cat > .enforce.toml <<'EOF'
[[rules.content]]
name = "no-direct-http"
pattern = 'requests\.(get|post)\('
paths = ["*.py"]
mode = "enforce"

[[rules.content]]
name = "no-secrets"
pattern = 'AKIA[0-9A-Z]{16}'
paths = ["**"]
mode = "enforce"
EOF
    git add .enforce.toml
    "$ENFORCE" review approve >/dev/null
    git commit -q -m "Adopt enforce" -m "Agent: bench-agent"
    i=1
    while [ "$i" -lt "$COMMITS" ]; do
        dir=src/m$((i % 20))
        mkdir -p "$dir"
        {
            echo "def f$i(x):"
            echo "    return x + $i"
            echo "# change $i"
        } > "$dir/f$i.py"
        echo "line $i" >> "$dir/notes.txt"
        git add -A
        "$ENFORCE" review approve >/dev/null
        git commit -q -m "Change $i" -m "Agent: bench-agent"
        i=$((i + 1))
    done
    [ "$(git rev-list --count HEAD)" -eq "$COMMITS" ]
    [ "$(git notes --ref=enforce list | wc -l)" -eq "$COMMITS" ]
    touch .done
fi

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
