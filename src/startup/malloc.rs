//! glibc's allocator gives each thread that allocates under contention an
//! arena of its own, up to eight per core, and each arena keeps what its
//! threads freed; and it returns the free top of the heap to the system
//! only past a threshold that grows with the largest block freed. Sybil's
//! threads (the runtime's workers, SQLite's connection threads, blocking
//! tasks) then hold memory that a request once used. `goals.sh`, idle RSS
//! after its warm-up: 32.3 MB by default, 29.9 MB with one arena per core,
//! 27.9 MB with that and a fixed 128 KiB trim threshold (one arena in all:
//! 28.6 MB, but lower throughput under load). A tunable the operator set in
//! the environment (`MALLOC_ARENA_MAX`, `MALLOC_TRIM_THRESHOLD_`) is left as
//! glibc read it.

/// Caps glibc's arenas at one per core and fixes its trim threshold at
/// 128 KiB, each unless set in the environment. Call before any other
/// thread starts.
pub fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        set_unless_in_env(
            "MALLOC_ARENA_MAX",
            libc::M_ARENA_MAX,
            libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX),
        );
        set_unless_in_env("MALLOC_TRIM_THRESHOLD_", libc::M_TRIM_THRESHOLD, 128 * 1024);
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_unless_in_env(variable: &str, option: libc::c_int, value: libc::c_int) {
    if std::env::var_os(variable).is_some() {
        return;
    }
    // SAFETY: `mallopt` sets one of the allocator's tunables and touches no
    // memory of ours; it is called before any other thread exists.
    #[allow(unsafe_code)]
    let done = unsafe { libc::mallopt(option, value) };
    if done != 1 {
        // Logging is not set up yet; glibc keeps its default.
        eprintln!("note: glibc refused {variable}={value}");
    }
}
