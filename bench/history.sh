# Sourced by bench/pre_receive.sh and bench/audit.sh: a sealed
# environment, and the history both measure, built once under
# bench/work/history/client-$COMMITS (git-ignored) and reused.
#
# $COMMITS commits made through the hooks (approved, trailered) under a
# committed policy with the two rules on and two content rules, so every
# commit has a real receipt and every rule runs when it is judged.
# Needs ROOT, ENFORCE and COMMITS; sets CLIENT and HOME.

HISTORY=$ROOT/bench/work/history
CLIENT=$HISTORY/client-$COMMITS

[ -x "$ENFORCE" ] || { echo "bench: no enforce at $ENFORCE (cargo build --release, or set ENFORCE)" >&2; exit 2; }

# A sealed environment, as the tests use.
for v in $(env | sed -n 's/^\(\(GIT\|ENFORCE\|PILOT\)_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export HOME="$HISTORY/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
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

