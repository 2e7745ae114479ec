//! The `enforce` binary: hands its arguments to [`enforce::run`].

fn main() {
    let code = enforce::run(std::env::args_os().collect());
    std::process::exit(code);
}
