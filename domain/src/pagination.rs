//! Page sizes of the `/api` lists (§1.7).

/// `limit` as asked: absent, zero or negative is `default`; above `max` is `max`.
pub fn page_limit(asked: Option<i64>, default: u64, max: u64) -> u64 {
    match asked {
        Some(n) if n > 0 => (n as u64).min(max),
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_cap() {
        assert_eq!(page_limit(None, 50, 100), 50);
        assert_eq!(page_limit(Some(0), 50, 100), 50);
        assert_eq!(page_limit(Some(-3), 50, 100), 50);
        assert_eq!(page_limit(Some(7), 50, 100), 7);
        assert_eq!(page_limit(Some(100), 50, 100), 100);
        assert_eq!(page_limit(Some(101), 50, 100), 100);
    }
}
