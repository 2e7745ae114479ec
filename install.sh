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
# It also installs the bash, zsh and fish completions and the man pages
# under ${XDG_DATA_HOME:-~/.local/share} (fish: ~/.config/fish) and says where.
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
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# Shell completions and man pages, where each shell and man look for a
# user's own. A failure here is a warning: the binary is installed.
data="${XDG_DATA_HOME:-$HOME/.local/share}"
install_generated() { # what, file, command...
  what=$1 file=$2
  shift 2
  if mkdir -p "$(dirname "$file")" && "$@" >"$file.tmp" && mv "$file.tmp" "$file"; then
    echo "installed the $what: $file"
  else
    rm -f "$file.tmp"
    echo "warning: could not install the $what at $file (the binary is installed; \`$*\` prints it)" >&2
  fi
}
install_generated "bash completion" "$data/bash-completion/completions/enforce" "$enforce" completions bash
install_generated "fish completion" "${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions/enforce.fish" "$enforce" completions fish
# zsh finds _enforce through fpath: add the directory to it in ~/.zshrc
# (before compinit) if it is not there.
zsh_dir="$data/zsh/site-functions"
install_generated "zsh completion" "$zsh_dir/_enforce" "$enforce" completions zsh
case " ${FPATH:-} " in
  *"$zsh_dir"*) ;;
  *) echo "note: for zsh, put this before compinit in ~/.zshrc: fpath=(\"$zsh_dir\" \$fpath)" ;;
esac
man_dir="$data/man/man1"
if mkdir -p "$man_dir" && "$enforce" man --dir "$man_dir" >/dev/null; then
  echo "installed the man pages: $man_dir/enforce.1 and one per command (man enforce)"
else
  echo "warning: could not install the man pages in $man_dir (the binary is installed; \`enforce man\` prints the page)" >&2
fi

top=$(git rev-parse --show-toplevel 2>/dev/null || true)
if [ "$hooks" = 1 ] && [ -n "$top" ] && [ "$top" != "$here" ]; then
  "$enforce" install
else
  echo "enforce is installed. In each repository to enforce, run: enforce install"
fi
