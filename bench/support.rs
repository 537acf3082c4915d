//! Shared pieces of the benchmarks: percentiles, printing, starting Sybil.

#![allow(dead_code)]

use std::time::Duration;

use sybil::config::Config;
use sybil::startup::Application;

pub struct Figures {
    pub p50: Duration,
    pub p99: Duration,
    pub rps: f64,
}

pub fn figures(mut samples: Vec<Duration>, wall: Duration) -> Figures {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Figures {
        p50: at(0.50),
        p99: at(0.99),
        rps: samples.len() as f64 / wall.as_secs_f64(),
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub fn print(label: &str, f: &Figures) {
    println!(
        "{label:<58} p50 {:>8.3} ms   p99 {:>8.3} ms   {:>9.0} req/s",
        ms(f.p50),
        ms(f.p99),
        f.rps
    );
}

/// Starts Sybil in this process on a free port with the given variables;
/// returns its base URL.
pub async fn start(vars: &[(String, String)]) -> String {
    let mut all = vec![
        ("PORT".to_string(), "0".to_string()),
        ("RUST_LOG".to_string(), "warn".to_string()),
        // Benchmarks measure the gateway, not the rate limiter.
        ("RATE_LIMIT_PER_MINUTE".to_string(), "0".to_string()),
    ];
    all.extend(vars.iter().cloned());
    let config = Config::from_lookup(|k| {
        all.iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    })
    .expect("config");
    let app = Application::build(&config).await.expect("start server");
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    base
}

/// A child process (a Sybil server) killed when dropped, even by a panic.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// True when run by `cargo bench` (which passes `--bench`).
pub fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}
