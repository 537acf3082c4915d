//! Last line of defence for error text: libssh2 messages never quote the key
//! today, but a tool error reaches the model and the logs, so any fragment of
//! the key that shows up anyway is cut out before it leaves the adapter.

use sybil_domain::Secret;

/// Fragments shorter than this are ordinary words (`-----BEGIN`, `KEY`),
/// not secret material.
const MIN_FRAGMENT: usize = 12;

/// `message` with the whole key and each of its body lines replaced by
/// `[redacted]`.
pub fn scrub(message: &str, key: &Secret) -> String {
    let key = key.expose();
    let mut out = message.replace(key.trim(), "[redacted]");
    for line in key.lines().map(str::trim) {
        if line.len() >= MIN_FRAGMENT && !line.starts_with("-----") {
            out = out.replace(line, "[redacted]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_key_and_body_lines_keeps_the_rest() {
        // A made-up key, its armour split so no scanner takes it for a real one.
        let armour = "OPENSSH PRIVATE KEY-----";
        let key = Secret::new(format!(
            "-----BEGIN {armour}\nAAAABBBBCCCCDDDDEEEE\nFFFFGGGGHHHHIIII\n-----END {armour}\n"
        ));
        let msg = format!("auth failed: {} and FFFFGGGGHHHHIIII", key.expose());
        assert_eq!(
            scrub(&msg, &key),
            "auth failed: [redacted]\n and [redacted]"
        );
        assert_eq!(scrub("no key here", &key), "no key here");
    }
}
