#!/usr/bin/env bash
# Installs the enforce binary with cargo and, when run inside a git
# repository, installs its hooks there.
#
#   ./install.sh            build, install to ~/.cargo/bin, and hook the repository
#                           you run it from (not enforce's own source checkout)
#   ./install.sh --no-hooks build and install the binary only
#   ./install.sh --dynamic  link against the system's C library even on
#                           Linux with glibc (see below)
#
# On Linux with glibc the binary is linked statically (a static PIE, so it
# still loads at a random address): the hooks start it three times per
# commit, and not loading shared libraries saves about 0.3 ms per start.
# Without the static C library (libc6-dev's libc.a) it is linked as usual.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
hooks=1
dynamic=0
for arg in "$@"; do
  case $arg in
    --no-hooks) hooks=0 ;;
    --dynamic) dynamic=1 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# shellcheck source=scripts/static-build.sh
. "$here/scripts/static-build.sh"
target=
[ "$dynamic" = 1 ] || target=$(static_target)
if [ -n "$target" ]; then
  if ! cargo_static "$target" install --path "$here" --locked; then
    echo "install.sh: the static build failed; building the usual dynamically linked binary (./install.sh --dynamic does this directly)" >&2
    cargo install --path "$here" --locked
  fi
else
  cargo install --path "$here" --locked
fi

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
