//! Sybil's application core: use cases over the ports, the configuration and
//! the composition root that plugs the adapters in.

pub mod config;
pub mod startup;
pub mod telemetry;
pub mod usecases;
