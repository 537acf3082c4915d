//! The generic cell rate algorithm (§7.1): a bucket is one number, its
//! theoretical arrival time (TAT), in microseconds.

/// A bucket's parameters: `burst` at once, then one every `1/rate` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gcra {
    pub requests_per_second: f64,
    pub burst: u32,
}

/// One decision, with what the rate-limit headers show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcraDecision {
    pub allowed: bool,
    /// The TAT to store: the new one when allowed, the old one otherwise.
    pub tat_us: i64,
    /// Requests the bucket would still admit at this instant.
    pub remaining: u32,
    /// Whole seconds, rounded up, until the bucket is full.
    pub reset_seconds: u64,
    /// Whole seconds until the next admission, at least 1 (refusals only).
    pub retry_after_seconds: u64,
}

fn ceil_seconds(us: i64) -> u64 {
    u64::try_from(us.max(0)).unwrap_or(0).div_ceil(1_000_000)
}

impl Gcra {
    /// Microseconds between two admissions.
    pub fn interval_us(&self) -> i64 {
        (1e6 / self.requests_per_second).round().max(1.0) as i64
    }

    /// Decides a request at `now_us` on a bucket whose stored TAT is `tat_us`
    /// (`None`: a new bucket). A refusal leaves the TAT as it was.
    pub fn decide(&self, tat_us: Option<i64>, now_us: i64) -> GcraDecision {
        // Saturating: an admin may pick a rate and burst whose window
        // (interval × burst) overflows; such a bucket is then simply full
        // for as long as time can be counted.
        let t = self.interval_us();
        let burst = i64::from(self.burst.max(1));
        let tolerance = t.saturating_mul(burst - 1);
        let tat = tat_us.unwrap_or(now_us).max(now_us);
        let earliest = tat.saturating_sub(tolerance);
        let allowed = now_us >= earliest;
        let stored = if allowed { tat.saturating_add(t) } else { tat };
        let ahead = stored.saturating_sub(now_us);
        let remaining = (burst - ahead.saturating_add(t - 1) / t).clamp(0, burst) as u32;
        GcraDecision {
            allowed,
            tat_us: stored,
            remaining,
            reset_seconds: ceil_seconds(ahead),
            retry_after_seconds: if allowed {
                0
            } else {
                ceil_seconds(earliest.saturating_sub(now_us)).max(1)
            },
        }
    }

    /// Whether a request at `now_us` would be admitted, changing nothing:
    /// for buckets that only failures fill.
    pub fn would_admit(&self, tat_us: Option<i64>, now_us: i64) -> GcraDecision {
        let mut d = self.decide(tat_us, now_us);
        if d.allowed {
            d.tat_us = tat_us.unwrap_or(now_us);
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    fn run(g: Gcra, times: &[i64]) -> Vec<bool> {
        let mut tat = None;
        times
            .iter()
            .map(|&now| {
                let d = g.decide(tat, now);
                tat = Some(d.tat_us);
                d.allowed
            })
            .collect()
    }

    #[test]
    fn a_fresh_bucket_admits_its_burst_then_one_per_interval() {
        let g = Gcra {
            requests_per_second: 1.0,
            burst: 3,
        };
        assert_eq!(run(g, &[0, 0, 0, 0]), [true, true, true, false]);
        assert_eq!(
            run(g, &[0, 0, 0, S - 1, S, S, 2 * S]),
            [true, true, true, false, true, false, true]
        );
    }

    #[test]
    fn a_refusal_changes_nothing() {
        let g = Gcra {
            requests_per_second: 1.0,
            burst: 1,
        };
        let first = g.decide(None, 0);
        let refused = g.decide(Some(first.tat_us), S / 2);
        assert!(!refused.allowed);
        assert_eq!(refused.tat_us, first.tat_us);
        assert_eq!(refused.retry_after_seconds, 1);
    }

    #[test]
    fn headers_count_what_is_left_and_when_it_refills() {
        let g = Gcra {
            requests_per_second: 0.5,
            burst: 3,
        };
        let d = g.decide(None, 0);
        assert_eq!((d.remaining, d.reset_seconds), (2, 2));
        let d = g.decide(Some(d.tat_us), 0);
        assert_eq!((d.remaining, d.reset_seconds), (1, 4));
        let d = g.decide(Some(d.tat_us), 0);
        assert_eq!((d.remaining, d.reset_seconds), (0, 6));
        let refused = g.decide(Some(d.tat_us), 0);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.retry_after_seconds, 2);
        // Half an interval later, still nothing left.
        let later = g.decide(Some(d.tat_us), S);
        assert_eq!((later.allowed, later.retry_after_seconds), (false, 1));
    }

    #[test]
    fn a_long_idle_bucket_is_full_again() {
        let g = Gcra {
            requests_per_second: 10.0,
            burst: 5,
        };
        let d = g.decide(Some(0), 10 * S);
        assert!(d.allowed);
        assert_eq!((d.remaining, d.reset_seconds), (4, 1));
        assert_eq!(d.tat_us, 10 * S + S / 10);
    }

    #[test]
    fn would_admit_consumes_nothing() {
        let g = Gcra {
            requests_per_second: 1.0,
            burst: 1,
        };
        let d = g.would_admit(None, 5);
        assert!(d.allowed);
        assert_eq!(d.tat_us, 5);
        assert!(g.would_admit(Some(5), 6).allowed);
    }

    #[test]
    fn extreme_params_saturate_instead_of_overflowing() {
        let g = Gcra {
            requests_per_second: 1e-6,
            burst: u32::MAX,
        };
        let d = g.decide(None, 5 * S);
        assert!(d.allowed);
        let d = g.decide(Some(i64::MAX), 5 * S);
        assert!(d.allowed, "the tolerance covers any TAT");
        let tiny = Gcra {
            requests_per_second: f64::MIN_POSITIVE,
            burst: 1,
        };
        let first = tiny.decide(None, 0);
        assert_eq!(first.tat_us, i64::MAX);
        let refused = tiny.decide(Some(first.tat_us), S);
        assert!(!refused.allowed);
        assert!(refused.retry_after_seconds > 1_000_000_000);
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up() {
        // 10 per minute: one every 6 s.
        let g = Gcra {
            requests_per_second: 10.0 / 60.0,
            burst: 10,
        };
        let mut tat = None;
        for _ in 0..10 {
            let d = g.decide(tat, 0);
            assert!(d.allowed);
            tat = Some(d.tat_us);
        }
        let refused = g.decide(tat, S / 2);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_seconds, 6);
    }
}
