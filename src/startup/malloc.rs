//! jemalloc is the process's allocator, for Rust and, through the unprefixed
//! `malloc`, for SQLite's C code too (docs/decisions.md, "Performance
//! measurements").
//!
//! Why not glibc's: tokio moves a request's task between worker threads, so
//! memory allocated on one is often freed on another, and glibc then takes
//! the owning arena's lock. Under `goals.sh`'s load that lock was contended
//! on almost every request (4 to 10 futex calls per completion, the largest
//! item of the kernel's share); jemalloc frees into the freeing thread's
//! cache without a lock.
//!
//! The settings below keep its memory low too: one arena per CPU, chosen by
//! the CPU a thread runs on, instead of four per CPU; and a background
//! thread that returns unused pages to the system within about a second,
//! instead of on some later allocation, so an idle process gives back what
//! a burst used; and thread caches for blocks up to 4 KiB instead of 32 KiB
//! (about 2 MB less when idle, for a few per cent of throughput at c=64).
//! `MALLOC_CONF` in the environment overrides any of them.

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Read by jemalloc when it starts, before `MALLOC_CONF`; a C string.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // an exported symbol is `unsafe` to the lint
#[unsafe(export_name = "malloc_conf")]
static MALLOC_CONF: &[u8; 96] =
    b"percpu_arena:percpu,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,tcache_max:4096\0";
