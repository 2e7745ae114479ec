#!/usr/bin/env bash
# Installs the enforce binary with cargo and, when run inside a git
# repository, installs its hooks there.
#
#   ./install.sh            build, install to ~/.cargo/bin, and hook the repository
#                           you run it from (not enforce's own source checkout)
#   ./install.sh --no-hooks build and install the binary only
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
hooks=1
for arg in "$@"; do
  case $arg in
    --no-hooks) hooks=0 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

missing=()
command -v cargo >/dev/null 2>&1 || missing+=("cargo (the Rust toolchain: https://rustup.rs, or your package manager's rustup/cargo)")
command -v git >/dev/null 2>&1 || missing+=("git (e.g. apt-get install git)")
command -v cc >/dev/null 2>&1 || missing+=("a C compiler for the bundled libgit2 (e.g. apt-get install gcc)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "install.sh: cannot install enforce, missing:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 2
fi

cargo install --path "$here" --locked

bin_dir="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"
enforce="$bin_dir/enforce"
if ! command -v enforce >/dev/null 2>&1; then
  echo "note: $bin_dir is not on PATH; add it to use \`enforce\` by name" >&2
fi

top=$(git rev-parse --show-toplevel 2>/dev/null || true)
if [ "$hooks" = 1 ] && [ -n "$top" ] && [ "$top" != "$here" ]; then
  "$enforce" install
else
  echo "enforce is installed. In each repository to enforce, run: enforce install"
fi
