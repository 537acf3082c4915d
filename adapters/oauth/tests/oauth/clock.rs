//! A clock the test sets and moves, starting at the system's time (the fake
//! Apple checks client secrets against a clock set to the same second).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sybil_domain::Timestamp;
use sybil_ports::outbound::Clock;

pub struct TestClock(AtomicI64);

impl TestClock {
    /// Now, to the whole second.
    pub fn starting_now() -> TestClock {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        TestClock(AtomicI64::new(i64::try_from(secs).unwrap() * 1000))
    }

    pub fn secs(&self) -> i64 {
        self.0.load(Ordering::SeqCst) / 1000
    }

    pub fn advance_secs(&self, secs: i64) {
        self.0.fetch_add(secs * 1000, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}
