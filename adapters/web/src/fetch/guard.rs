//! The SSRF rules, pure: which IP addresses are internal, and whether a URL may be requested.
//!
//! IPv4 spellings (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`, full-width
//! digits, percent-encoding) need no handling here: the WHATWG parser of the
//! `url` crate turns them all into one `Ipv4Addr` before we look.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

/// Why an address is internal (never reachable from `fetch_url` by default).
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
    /// `240/4`, `192.0.0/24` (IETF protocol assignments), `198.18/15` (benchmarking).
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
/// forms that embed an IPv4 address (mapped `::ffff:a.b.c.d`, compatible
/// `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`) are judged by that address.
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
    let ranges: [([u8; 4], u32, AddressKind); 14] = [
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
        ([192, 0, 0, 0], 24, Reserved),
        ([198, 18, 0, 0], 15, Reserved),
        // 192.88.99/24 was the 6to4 relay anycast; deprecated, never a web server.
        ([192, 88, 99, 0], 24, Reserved),
    ];
    ranges
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, kind)| *kind)
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
    let first = ip.segments()[0];
    match first {
        f if f & 0xffc0 == 0xfe80 => Some(LinkLocal),
        f if f & 0xffc0 == 0xfec0 => Some(SiteLocal),
        f if f & 0xfe00 == 0xfc00 => Some(UniqueLocal),
        f if f & 0xff00 == 0xff00 => Some(Multicast),
        _ => None,
    }
}

/// The IPv4 address inside a mapped (`::ffff:0:0/96`), compatible
/// (`::/96`, deprecated but still parsed by every stack) or NAT64
/// (`64:ff9b::/96`) IPv6 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s[..6] {
        [0, 0, 0, 0, 0, 0xffff] | [0, 0, 0, 0, 0, 0] | [0x64, 0xff9b, 0, 0, 0, 0] => Some(low),
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
mod tests {
    use super::*;
    use AddressKind::*;

    fn kind(ip: &str) -> Option<AddressKind> {
        classify(ip.parse().unwrap())
    }

    #[test]
    fn ipv4_internal_ranges_with_their_edges() {
        let cases = [
            ("0.0.0.0", Some(Unspecified)),
            ("0.1.2.3", Some(ThisNetwork)),
            ("0.255.255.255", Some(ThisNetwork)),
            ("1.0.0.0", None),
            ("9.255.255.255", None),
            ("10.0.0.0", Some(Private)),
            ("10.255.255.255", Some(Private)),
            ("11.0.0.0", None),
            ("100.63.255.255", None),
            ("100.64.0.0", Some(SharedNat)),
            ("100.127.255.255", Some(SharedNat)),
            ("100.128.0.0", None),
            ("126.255.255.255", None),
            ("127.0.0.1", Some(Loopback)),
            ("127.255.255.254", Some(Loopback)),
            ("128.0.0.0", None),
            ("169.253.255.255", None),
            ("169.254.0.1", Some(LinkLocal)),
            ("169.254.169.254", Some(LinkLocal)),
            ("169.255.0.0", None),
            ("172.15.255.255", None),
            ("172.16.0.0", Some(Private)),
            ("172.31.255.255", Some(Private)),
            ("172.32.0.0", None),
            ("192.0.0.170", Some(Reserved)),
            ("192.0.2.1", None),
            ("192.88.99.1", Some(Reserved)),
            ("192.167.255.255", None),
            ("192.168.0.1", Some(Private)),
            ("192.168.255.255", Some(Private)),
            ("192.169.0.0", None),
            ("198.17.255.255", None),
            ("198.18.0.1", Some(Reserved)),
            ("198.19.255.255", Some(Reserved)),
            ("198.20.0.0", None),
            ("223.255.255.255", None),
            ("224.0.0.1", Some(Multicast)),
            ("239.255.255.255", Some(Multicast)),
            ("240.0.0.1", Some(Reserved)),
            ("255.255.255.254", Some(Reserved)),
            ("255.255.255.255", Some(Broadcast)),
            ("8.8.8.8", None),
            ("93.184.216.34", None),
        ];
        for (ip, want) in cases {
            assert_eq!(kind(ip), want, "{ip}");
        }
    }

    #[test]
    fn ipv6_internal_ranges() {
        let cases = [
            ("::", Some(Unspecified)),
            ("::1", Some(Loopback)),
            ("fe80::1", Some(LinkLocal)),
            ("febf:ffff::1", Some(LinkLocal)),
            ("fec0::1", Some(SiteLocal)),
            ("fc00::1", Some(UniqueLocal)),
            ("fd12:3456::1", Some(UniqueLocal)),
            ("fe00::1", None),
            ("ff02::1", Some(Multicast)),
            ("ff05::2", Some(Multicast)),
            ("2001:db8::1", None),
            ("2606:4700:4700::1111", None),
            ("2a00:1450:4001:80b::200e", None),
        ];
        for (ip, want) in cases {
            assert_eq!(kind(ip), want, "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_embedding_ipv4_are_judged_by_the_ipv4() {
        let cases = [
            ("::ffff:127.0.0.1", Some(Loopback)),
            ("::ffff:7f00:1", Some(Loopback)),
            ("::ffff:10.1.2.3", Some(Private)),
            ("::ffff:169.254.169.254", Some(LinkLocal)),
            ("::ffff:100.64.0.1", Some(SharedNat)),
            ("::ffff:0.0.0.0", Some(Unspecified)),
            ("::ffff:255.255.255.255", Some(Broadcast)),
            ("::ffff:8.8.8.8", None),
            ("::127.0.0.1", Some(Loopback)),
            ("::192.168.1.1", Some(Private)),
            ("::0.0.0.2", Some(ThisNetwork)),
            ("::8.8.8.8", None),
            ("64:ff9b::127.0.0.1", Some(Loopback)),
            ("64:ff9b::8.8.8.8", None),
        ];
        for (ip, want) in cases {
            assert_eq!(kind(ip), want, "{ip}");
        }
    }

    #[test]
    fn is_forbidden_matches_classify() {
        assert!(is_forbidden("169.254.169.254".parse().unwrap()));
        assert!(is_forbidden("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!is_forbidden("1.1.1.1".parse().unwrap()));
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn every_spelling_of_an_internal_host_is_refused() {
        let guard = Guard::default();
        for s in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f.1/",
            "http://0x7f000001/",
            "http://017700000001/",
            "http://127.1/",
            "http://%31%32%37.0.0.1/",
            "http://①②⑦.0.0.1/",
            "http://0/",
            "http://0.0.0.0:8080/",
            "http://[::1]/",
            "http://[::]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://0xa9fea9fe/",
            "http://10.0.0.1/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://255.255.255.255/",
            "http://224.0.0.1/",
            "https://user:pw@127.0.0.1:8443/x?y",
        ] {
            let err = guard.check_url(&url(s)).expect_err(s);
            assert!(matches!(err, Refusal::Blocked { .. }), "{s}: {err:?}");
        }
    }

    #[test]
    fn public_hosts_and_names_pass_the_url_check() {
        let guard = Guard::default();
        for s in [
            "http://8.8.8.8/",
            "https://example.com/",
            "http://[2606:4700:4700::1111]/",
            "http://localhost/",
        ] {
            assert_eq!(guard.check_url(&url(s)), Ok(()), "{s}");
        }
    }

    #[test]
    fn the_flag_allows_internal_addresses() {
        let guard = Guard::new(true, vec![]);
        for s in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://[::ffff:127.0.0.1]/",
            "http://169.254.169.254/",
            "http://10.0.0.1/",
        ] {
            assert_eq!(guard.check_url(&url(s)), Ok(()), "{s}");
        }
    }

    #[test]
    fn only_http_and_https() {
        let guard = Guard::new(true, vec![]);
        for s in [
            "file:///etc/passwd",
            "ftp://example.com/",
            "gopher://example.com/",
            "data:text/plain,hi",
            "javascript:alert(1)",
        ] {
            assert!(
                matches!(guard.check_url(&url(s)), Err(Refusal::Scheme(_))),
                "{s}"
            );
        }
    }

    #[test]
    fn exemptions_are_exact_socket_addresses() {
        let guard = Guard::new(false, vec!["127.0.0.1:4000".parse().unwrap()]);
        assert_eq!(guard.check_url(&url("http://127.0.0.1:4000/x")), Ok(()));
        assert_eq!(guard.check_url(&url("http://2130706433:4000/")), Ok(()));
        assert!(guard.check_url(&url("http://127.0.0.1:4001/")).is_err());
        assert!(guard.check_url(&url("http://127.0.0.2:4000/")).is_err());
        assert!(
            guard
                .check_url(&url("http://[::ffff:127.0.0.1]:4000/"))
                .is_err()
        );
        assert!(guard.check_url(&url("http://127.0.0.1/")).is_err());
    }

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter()
            .map(|ip| SocketAddr::new(ip.parse().unwrap(), 0))
            .collect()
    }

    #[test]
    fn resolved_internal_addresses_are_filtered_out() {
        let guard = Guard::new(false, vec!["127.0.0.1:0".parse().unwrap()]);
        assert_eq!(
            guard.filter_resolved(
                "mixed.example",
                addrs(&["127.0.0.1", "93.184.216.34", "::1"])
            ),
            Ok(addrs(&["93.184.216.34"]))
        );
        let err = guard
            .filter_resolved("localhost", addrs(&["127.0.0.1", "::1"]))
            .unwrap_err();
        assert_eq!(
            err,
            Refusal::Resolved {
                host: "localhost".into(),
                found: vec![
                    ("127.0.0.1".parse().unwrap(), Loopback),
                    ("::1".parse().unwrap(), Loopback)
                ],
            }
        );
        assert!(err.to_string().starts_with(
            "localhost resolves only to internal addresses (127.0.0.1: a loopback address, ::1: a loopback address)"
        ));
        assert!(matches!(
            guard.filter_resolved("none.example", vec![]),
            Err(Refusal::Unresolved { .. })
        ));
    }

    #[test]
    fn resolved_addresses_pass_with_the_flag() {
        let guard = Guard::new(true, vec![]);
        assert_eq!(
            guard.filter_resolved("localhost", addrs(&["127.0.0.1"])),
            Ok(addrs(&["127.0.0.1"]))
        );
    }

    #[test]
    fn refusals_read_well() {
        let guard = Guard::default();
        let err = guard.check_url(&url("http://0x7f.1/")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("127.0.0.1 is a loopback address; fetch_url does not reach"),
            "{err}"
        );
        assert_eq!(
            Refusal::Scheme("ftp".into()).to_string(),
            "the scheme \"ftp\" is not allowed: only http and https URLs can be fetched"
        );
    }
}
