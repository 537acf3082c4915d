//! Sybil's application core: use cases over the ports, the configuration and
//! the composition root that plugs the adapters in.

pub mod config;
pub mod startup;
pub mod telemetry;
pub mod usecases;

/// mimalloc for every binary that links Sybil (the server, its tests and
/// benchmarks): a request allocates many small short-lived objects (JSON
/// trees, headers, futures), and glibc's malloc and free took about a sixth
/// of the CPU in the completion benchmark's profile.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
