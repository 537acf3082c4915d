//! The SSRF rules, pure: which IP addresses are internal, and whether a URL may be requested.
//!
//! IPv4 spellings (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`, full-width
//! digits, percent-encoding) need no handling here: the WHATWG parser of the
//! `url` crate turns them all into one `Ipv4Addr` before we look.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

/// Why an address is internal (never reachable from `fetch_url` by default):
/// every range the IANA IPv4 and IPv6 special-purpose address registries do
/// not list as globally reachable, and all of IPv6 outside `2000::/3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// `0.0.0.0`, `::`: connecting to it reaches the local host.
    Unspecified,
    /// `0.0.0.0/8` ("this network").
    ThisNetwork,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `10/8`, `172.16/12`, `192.168/16`.
    Private,
    /// `169.254/16` (cloud metadata at `169.254.169.254`), `fe80::/10`.
    LinkLocal,
    /// `100.64/10`, carrier-grade NAT.
    SharedNat,
    /// `224/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`,
    /// `3fff::/20`: examples only, yet a host may be given one of them.
    Documentation,
    /// `198.18/15`, `2001:2::/48`.
    Benchmarking,
    /// `192.0.0/24`, `2001::/23` (IETF protocol assignments: ORCHID,
    /// AMT, AS112 and the like; Teredo and benchmarking have kinds of their own).
    ProtocolAssignment,
    /// `2001::/32`: a tunnel whose far end is not known from the address.
    Teredo,
    /// `64:ff9b:1::/48`: NAT64 prefixes of a local network.
    LocalTranslation,
    /// `100::/64`: traffic to it is dropped by design.
    DiscardOnly,
    /// `240/4`, `192.88.99/24` (the retired 6to4 relay anycast), and IPv6
    /// outside `2000::/3`, the only block allocated for global unicast.
    Reserved,
    /// `fc00::/7`.
    UniqueLocal,
    /// `fec0::/10` (deprecated, still routed as private on some networks).
    SiteLocal,
}

impl fmt::Display for AddressKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressKind::Unspecified => "an unspecified address",
            AddressKind::ThisNetwork => "a 'this network' address",
            AddressKind::Loopback => "a loopback address",
            AddressKind::Private => "a private address",
            AddressKind::LinkLocal => "a link-local address",
            AddressKind::SharedNat => "a carrier-grade NAT address",
            AddressKind::Multicast => "a multicast address",
            AddressKind::Broadcast => "a broadcast address",
            AddressKind::Documentation => "a documentation address",
            AddressKind::Benchmarking => "a benchmarking address",
            AddressKind::ProtocolAssignment => "an IETF protocol assignment address",
            AddressKind::Teredo => "a Teredo tunnel address",
            AddressKind::LocalTranslation => "a local-use NAT64 address",
            AddressKind::DiscardOnly => "a discard-only address",
            AddressKind::Reserved => "a reserved address",
            AddressKind::UniqueLocal => "a unique-local address",
            AddressKind::SiteLocal => "a site-local address",
        })
    }
}

/// Whether `fetch_url` must not connect to `ip` (unless private networks are allowed).
pub fn is_forbidden(ip: IpAddr) -> bool {
    classify(ip).is_some()
}

/// The internal range `ip` belongs to, `None` for a public address. IPv6
/// forms that embed an IPv4 address (mapped `::ffff:a.b.c.d`, translated
/// `::ffff:0:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`,
/// 6to4 `2002:AABB:CCDD::/48`) are judged by that address.
pub fn classify(ip: IpAddr) -> Option<AddressKind> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressKind> {
    use AddressKind::*;
    // The first match wins: narrower ranges before the ones holding them.
    let ranges: [([u8; 4], u32, AddressKind); 17] = [
        ([0, 0, 0, 0], 32, Unspecified),
        ([255, 255, 255, 255], 32, Broadcast),
        ([0, 0, 0, 0], 8, ThisNetwork),
        ([127, 0, 0, 0], 8, Loopback),
        ([10, 0, 0, 0], 8, Private),
        ([172, 16, 0, 0], 12, Private),
        ([192, 168, 0, 0], 16, Private),
        ([169, 254, 0, 0], 16, LinkLocal),
        ([100, 64, 0, 0], 10, SharedNat),
        ([224, 0, 0, 0], 4, Multicast),
        ([240, 0, 0, 0], 4, Reserved),
        ([192, 0, 0, 0], 24, ProtocolAssignment),
        ([192, 0, 2, 0], 24, Documentation),
        ([198, 51, 100, 0], 24, Documentation),
        ([203, 0, 113, 0], 24, Documentation),
        ([198, 18, 0, 0], 15, Benchmarking),
        // 192.88.99/24 was the 6to4 relay anycast; deprecated, never a web server.
        ([192, 88, 99, 0], 24, Reserved),
    ];
    ranges
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, kind)| *kind)
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressKind> {
    use AddressKind::*;
    if ip.is_unspecified() {
        return Some(Unspecified);
    }
    if ip.is_loopback() {
        return Some(Loopback);
    }
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let v6 = |a: u16, b: u16, c: u16| Ipv6Addr::new(a, b, c, 0, 0, 0, 0, 0);
    // The first match wins: narrower ranges before the ones holding them.
    let ranges: [(Ipv6Addr, u32, AddressKind); 11] = [
        (v6(0x64, 0xff9b, 1), 48, LocalTranslation),
        (v6(0x100, 0, 0), 64, DiscardOnly),
        (v6(0x2001, 0, 0), 32, Teredo),
        (v6(0x2001, 2, 0), 48, Benchmarking),
        (v6(0x2001, 0, 0), 23, ProtocolAssignment),
        (v6(0x2001, 0xdb8, 0), 32, Documentation),
        (v6(0x3fff, 0, 0), 20, Documentation),
        (v6(0xfe80, 0, 0), 10, LinkLocal),
        (v6(0xfec0, 0, 0), 10, SiteLocal),
        (v6(0xfc00, 0, 0), 7, UniqueLocal),
        (v6(0xff00, 0, 0), 8, Multicast),
    ];
    let special = ranges
        .iter()
        .find(|(net, prefix, _)| in_v6(ip, *net, *prefix))
        .map(|(_, _, kind)| *kind);
    special.or_else(|| (!in_v6(ip, v6(0x2000, 0, 0), 3)).then_some(Reserved))
}

/// The IPv4 address inside a mapped (`::ffff:0:0/96`), translated
/// (`::ffff:0:0:0/96`), compatible (`::/96`, deprecated but still parsed by
/// every stack), NAT64 (`64:ff9b::/96`) or 6to4 (`2002::/16`, the address
/// in the next 32 bits) IPv6 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo]
        | [0, 0, 0, 0, 0xffff, 0, hi, lo]
        | [0, 0, 0, 0, 0, 0, hi, lo]
        | [0x64, 0xff9b, 0, 0, 0, 0, hi, lo]
        | [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        _ => None,
    }
}

/// Why a URL or an address may not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    #[error("the scheme \"{0}\" is not allowed: only http and https URLs can be fetched")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("{ip} is {kind}; {INTERNAL_RULE}")]
    Blocked { ip: IpAddr, kind: AddressKind },
    #[error("{host} resolves only to internal addresses ({}); {INTERNAL_RULE}", list(.found))]
    Resolved {
        host: String,
        found: Vec<(IpAddr, AddressKind)>,
    },
    #[error("{host} resolves to no address")]
    Unresolved { host: String },
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
}

const INTERNAL_RULE: &str = "fetch_url does not reach loopback, private, link-local \
    or other internal addresses (FETCH_ALLOW_PRIVATE_NETWORKS=true allows them)";

fn list(found: &[(IpAddr, AddressKind)]) -> String {
    found
        .iter()
        .map(|(ip, kind)| format!("{ip}: {kind}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rules one fetcher applies to every URL it requests and every
/// address a name resolves to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Guard {
    allow_private: bool,
    /// Exact `ip:port` pairs let through although internal (tests whose
    /// fake servers live on loopback). Applies to IP-literal URLs only.
    exempt: Vec<SocketAddr>,
}

impl Guard {
    pub(crate) fn new(allow_private: bool, exempt: Vec<SocketAddr>) -> Self {
        Guard {
            allow_private,
            exempt,
        }
    }

    /// The scheme is http(s) and, for an IP-literal host, the address is
    /// allowed. A named host is checked when it is resolved (see `resolver`),
    /// so the address checked is the one connected to.
    pub(crate) fn check_url(&self, url: &Url) -> Result<(), Refusal> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refusal::Scheme(url.scheme().to_string()));
        }
        let ip = match url.host() {
            None => return Err(Refusal::NoHost),
            Some(Host::Domain(_)) => return Ok(()),
            Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        };
        let port = url.port_or_known_default().unwrap_or(0);
        self.check_addr(SocketAddr::new(ip, port))
    }

    fn check_addr(&self, addr: SocketAddr) -> Result<(), Refusal> {
        match classify(addr.ip()) {
            Some(kind) if !self.allow_private && !self.exempt.contains(&addr) => {
                Err(Refusal::Blocked {
                    ip: addr.ip(),
                    kind,
                })
            }
            _ => Ok(()),
        }
    }

    /// The addresses of `host` that may be connected to; refused when none
    /// remains. Names are never exempt: the port is not known here.
    pub(crate) fn filter_resolved(
        &self,
        host: &str,
        found: Vec<SocketAddr>,
    ) -> Result<Vec<SocketAddr>, Refusal> {
        if found.is_empty() {
            return Err(Refusal::Unresolved {
                host: host.to_string(),
            });
        }
        if self.allow_private {
            return Ok(found);
        }
        let (allowed, blocked): (Vec<_>, Vec<_>) =
            found.into_iter().partition(|a| !is_forbidden(a.ip()));
        if allowed.is_empty() {
            let mut found: Vec<(IpAddr, AddressKind)> = blocked
                .iter()
                .filter_map(|a| classify(a.ip()).map(|k| (a.ip(), k)))
                .collect();
            found.dedup();
            return Err(Refusal::Resolved {
                host: host.to_string(),
                found,
            });
        }
        Ok(allowed)
    }
}

#[cfg(test)]
mod tests;
