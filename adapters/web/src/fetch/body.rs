//! Reading a response body up to a byte limit, never further.

/// What was read, and whether more was left unread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bounded {
    pub bytes: Vec<u8>,
    pub cut: bool,
}

/// At most `max` bytes of the body; stops reading (and drops the
/// connection) as soon as one more byte arrives.
pub(crate) async fn read(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<Bounded, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = max - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(Bounded { bytes, cut: true });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Bounded { bytes, cut: false })
}
