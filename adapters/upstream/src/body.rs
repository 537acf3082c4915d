//! An error body, read only as far as needed to quote it.

/// Bytes of an error body kept to find its message; the rest is not read.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// The first `MAX_ERROR_BODY` bytes of the body, exactly: a cap is a bound
/// on memory, so the last chunk is cut too (the LLM adapter used to keep
/// it whole, up to a chunk more than the cap). A body that breaks off
/// counts as what arrived.
pub async fn read_capped(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ERROR_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == MAX_ERROR_BODY {
            break;
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: Vec<u8>) -> reqwest::Response {
        reqwest::Response::from(http::Response::new(body))
    }

    #[tokio::test]
    async fn a_short_body_is_read_whole() {
        assert_eq!(
            read_capped(response(b"{\"error\":1}".to_vec())).await,
            b"{\"error\":1}"
        );
    }

    #[tokio::test]
    async fn a_long_body_is_cut_at_the_cap() {
        let body = read_capped(response(vec![b'x'; MAX_ERROR_BODY + 10])).await;
        assert_eq!(body.len(), MAX_ERROR_BODY);
    }
}
