//! Exhaustive cases for the SSRF rules: range edges, IPv6 embeddings, URL spellings, exemptions, resolved names.

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
        ("191.255.255.255", None),
        ("192.0.0.0", Some(ProtocolAssignment)),
        ("192.0.0.170", Some(ProtocolAssignment)),
        ("192.0.0.255", Some(ProtocolAssignment)),
        ("192.0.1.255", None),
        ("192.0.2.0", Some(Documentation)),
        // The host's own address, when it is given one in a documentation range.
        ("192.0.2.10", Some(Documentation)),
        ("192.0.2.255", Some(Documentation)),
        ("192.0.3.0", None),
        ("192.88.98.255", None),
        ("192.88.99.1", Some(Reserved)),
        ("192.88.100.0", None),
        ("192.167.255.255", None),
        ("192.168.0.1", Some(Private)),
        ("192.168.255.255", Some(Private)),
        ("192.169.0.0", None),
        ("198.17.255.255", None),
        ("198.18.0.1", Some(Benchmarking)),
        ("198.19.255.255", Some(Benchmarking)),
        ("198.20.0.0", None),
        ("198.51.99.255", None),
        ("198.51.100.0", Some(Documentation)),
        ("198.51.100.255", Some(Documentation)),
        ("198.51.101.0", None),
        ("203.0.112.255", None),
        ("203.0.113.0", Some(Documentation)),
        ("203.0.113.255", Some(Documentation)),
        ("203.0.114.0", None),
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
        ("fe00::1", Some(Reserved)),
        ("ff02::1", Some(Multicast)),
        ("ff05::2", Some(Multicast)),
        ("ff0e::1", Some(Multicast)),
        ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", None),
        ("2001:db8::1", Some(Documentation)),
        (
            "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
            Some(Documentation),
        ),
        ("2001:db9::", None),
        ("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
        ("3fff::", Some(Documentation)),
        (
            "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
            Some(Documentation),
        ),
        ("3fff:1000::", None),
        ("2001:2::1", Some(Benchmarking)),
        ("2001:2:0:ffff::1", Some(Benchmarking)),
        ("2001::1", Some(Teredo)),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", Some(Teredo)),
        ("2001:1::1", Some(ProtocolAssignment)),
        ("2001:3::1", Some(ProtocolAssignment)),
        ("2001:10::1", Some(ProtocolAssignment)),
        ("2001:20::1", Some(ProtocolAssignment)),
        (
            "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
            Some(ProtocolAssignment),
        ),
        ("2001:200::1", None),
        ("100::1", Some(DiscardOnly)),
        ("100::ffff:ffff:ffff:ffff", Some(DiscardOnly)),
        ("100:0:0:1::", Some(Reserved)),
        ("64:ff9b:1::1", Some(LocalTranslation)),
        ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", Some(LocalTranslation)),
        ("5f00::1", Some(Reserved)),
        ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
        ("4000::1", Some(Reserved)),
        ("2000::", None),
        ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
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
        ("::ffff:192.0.2.10", Some(Documentation)),
        ("::ffff:198.51.100.1", Some(Documentation)),
        ("::ffff:203.0.113.1", Some(Documentation)),
        ("::ffff:198.18.0.1", Some(Benchmarking)),
        ("::ffff:224.0.0.1", Some(Multicast)),
        ("::ffff:240.0.0.1", Some(Reserved)),
        ("::ffff:192.0.0.1", Some(ProtocolAssignment)),
        ("::ffff:0:127.0.0.1", Some(Loopback)),
        ("::ffff:0:8.8.8.8", None),
        ("64:ff9b::192.0.2.1", Some(Documentation)),
        ("64:ff9b::100.64.0.1", Some(SharedNat)),
        ("64:ff9b::198.18.0.1", Some(Benchmarking)),
        ("64:ff9b::224.0.0.1", Some(Multicast)),
        ("64:ff9b::10.0.0.1", Some(Private)),
        ("2002:7f00:1::", Some(Loopback)),
        ("2002:c000:0201::1", Some(Documentation)),
        ("2002:a9fe:a9fe::", Some(LinkLocal)),
        ("2002:0a00:0001:1234::1", Some(Private)),
        ("2002:0808:0808::1", None),
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
        "http://192.0.2.10/",
        "http://198.51.100.7:8080/",
        "http://203.0.113.1/",
        "http://198.18.0.1/",
        "http://240.0.0.1/",
        "http://[2001:db8::1]/",
        "http://[3fff::1]/",
        "http://[64:ff9b::c000:20a]/",
        "http://[::ffff:c000:20a]/",
        "http://[2002:c000:20a::]/",
        "http://[2001::1]/",
        "http://[100::1]/",
        "http://[ff02::1]/",
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

#[test]
fn a_name_resolving_to_the_host_s_documentation_address_is_refused() {
    let guard = Guard::default();
    let err = guard
        .filter_resolved("myself.example", addrs(&["192.0.2.10", "2001:db8::10"]))
        .unwrap_err();
    assert_eq!(
        err,
        Refusal::Resolved {
            host: "myself.example".into(),
            found: vec![
                ("192.0.2.10".parse().unwrap(), Documentation),
                ("2001:db8::10".parse().unwrap(), Documentation)
            ],
        }
    );
    assert!(
        err.to_string()
            .contains("192.0.2.10: a documentation address"),
        "{err}"
    );
}
