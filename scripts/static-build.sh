# Sourced by install.sh, .ci/run and bench/bench.py: whether and how this
# machine builds enforce as a static PIE (docs/decisions.md, "install.sh
# links a static PIE on Linux with glibc").

# Prints the host target triple if a static build is possible here: a
# `*-linux-gnu` host whose C compiler finds the static C library and the
# static-PIE start file. Prints nothing otherwise.
static_target() {
  local host
  host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')
  [[ $host == *-linux-gnu ]] || return 0
  [ "$(cc -print-file-name=libc.a 2>/dev/null)" != libc.a ] || return 0
  [ "$(cc -print-file-name=rcrt1.o 2>/dev/null)" != rcrt1.o ] || return 0
  echo "$host"
}

# `cargo_static <target> <subcommand> [args…]` runs `cargo <subcommand>
# --target <target> [args…]` with `+crt-static` for that target only (an
# explicit --target keeps the flag off the proc-macros, which cannot be
# linked statically; it goes before the args, which may end in `-- …`).
cargo_static() {
  local target=$1 subcommand=$2
  shift 2
  local var
  var="CARGO_TARGET_$(tr 'a-z.-' 'A-Z__' <<<"$target")_RUSTFLAGS"
  env "$var=${!var:-} -C target-feature=+crt-static" cargo "$subcommand" --target "$target" "$@"
}
