//! The client's address (`TRUSTED_PROXIES`): the peer, unless the peer is a
//! trusted proxy, then the rightmost `X-Forwarded-For` entry not itself
//! trusted.

use std::net::IpAddr;

/// One `address/prefix` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { net: addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4 written as IPv6 (`::ffff:1.2.3.4`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The parsed `TRUSTED_PROXIES`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Comma-separated CIDRs (a bare address is a /32 or /128); `None`
    /// names the first entry that is not one.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut blocks = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            blocks.push(Cidr::parse(entry).ok_or_else(|| entry.to_string())?);
        }
        Ok(TrustedProxies(blocks))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// The client of a request from `peer` carrying `forwarded_for` (every
    /// `X-Forwarded-For` header, in order).
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                // A hop we cannot read ends what we can trust.
                return peer;
            };
            let ip = canonical(ip);
            if !self.trusts(ip) {
                return ip;
            }
        }
        peer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("10.0.0.1"), &["1.2.3.4"]), ip("10.0.0.1"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let t = TrustedProxies::parse("10.0.0.0/8, 192.168.1.1").unwrap();
        assert_eq!(
            t.client(ip("10.0.0.1"), &["6.6.6.6, 1.2.3.4, 10.1.1.1"]),
            ip("1.2.3.4")
        );
        assert_eq!(
            t.client(ip("10.0.0.1"), &["6.6.6.6", "1.2.3.4"]),
            ip("1.2.3.4")
        );
        assert_eq!(t.client(ip("192.168.1.1"), &["1.2.3.4"]), ip("1.2.3.4"));
        // Not from a trusted proxy: the header is the client's own word.
        assert_eq!(t.client(ip("192.168.1.2"), &["1.2.3.4"]), ip("192.168.1.2"));
        // All hops trusted, or none given: the peer.
        assert_eq!(t.client(ip("10.0.0.1"), &["10.2.2.2"]), ip("10.0.0.1"));
        assert_eq!(t.client(ip("10.0.0.1"), &[]), ip("10.0.0.1"));
        assert_eq!(t.client(ip("10.0.0.1"), &["garbage"]), ip("10.0.0.1"));
    }

    #[test]
    fn ipv6_and_mapped_ipv4_are_understood() {
        let t = TrustedProxies::parse("::1/128,127.0.0.0/8").unwrap();
        assert_eq!(t.client(ip("::1"), &["2001:db8::7"]), ip("2001:db8::7"));
        assert_eq!(
            t.client(ip("::ffff:127.0.0.1"), &["1.2.3.4"]),
            ip("1.2.3.4")
        );
    }

    #[test]
    fn bad_entries_are_named() {
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/33"),
            Err("10.0.0.0/33".into())
        );
        assert_eq!(TrustedProxies::parse("10.0.0.0/8,nope"), Err("nope".into()));
        assert_eq!(TrustedProxies::parse(""), Ok(TrustedProxies::default()));
        assert!(
            TrustedProxies::parse("0.0.0.0/0")
                .unwrap()
                .trusts(ip("8.8.8.8"))
        );
    }
}
