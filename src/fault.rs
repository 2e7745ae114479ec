//! Fault injection for the fault tests: a debug build can be told, through
//! `ENFORCE_FAULT`, to die at a chosen point the way a crash or `kill -9`
//! would. Release builds compile every point to `false`.

/// Whether the fault `name` is requested.
pub fn requested(name: &str) -> bool {
    #[cfg(debug_assertions)]
    {
        std::env::var("ENFORCE_FAULT").is_ok_and(|v| v == name)
    }
    #[cfg(not(debug_assertions))]
    {
        let _ = name;
        false
    }
}

/// Dies at once, without unwinding or cleaning up, like a killed process.
pub fn die() -> ! {
    std::process::abort()
}
