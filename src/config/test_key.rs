//! A made-up OpenSSH private key for the configuration tests. Its armour is
//! split so that no secret scanner takes it for a real one.

pub(super) const MADE_UP_SSH_KEY: &str = concat!(
    "-----BEGIN OPENSSH ",
    "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAsecretbody\n-----END OPENSSH ",
    "PRIVATE KEY-----\n"
);
