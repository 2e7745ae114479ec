//! `enforce hook <name> [args…]`.

use crate::cli::HookArgs;
use crate::error::Result;
use crate::hook::{self, HookName};

pub fn run(args: HookArgs) -> Result<i32> {
    let name = HookName::parse(&args.name)?;
    hook::run(name, &args.args, args.hooks_dir.as_deref())
}
