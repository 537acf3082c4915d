//! Sybil's `/v1` event streams as tests read them: the test kit's SSE
//! reader, with every event named, numbered and JSON.

use serde_json::Value;
use sybil_testkit::sse;

/// One event of a `/v1` stream.
#[derive(Debug, Clone)]
pub struct Frame {
    pub event: String,
    pub id: u64,
    pub data: Value,
}

/// The events of a `/v1` stream body (comments such as `: ping` skipped).
pub fn parse_frames(text: &str) -> Vec<Frame> {
    sse::parse(text)
        .into_iter()
        .map(|e| Frame {
            id: e.id.as_deref().map_or(0, |id| id.parse().unwrap()),
            data: e.json(),
            event: e.event.unwrap_or_default(),
        })
        .collect()
}

/// The text of the `delta` frames, joined.
pub fn text_of(frames: &[Frame]) -> String {
    frames
        .iter()
        .filter(|f| f.event == "delta")
        .map(|f| f.data["text"].as_str().unwrap())
        .collect()
}

/// Reads `resp` until `enough` holds for the frames so far; returns the text
/// read (the response stays open for more).
pub async fn read_until(resp: &mut reqwest::Response, enough: impl Fn(&[Frame]) -> bool) -> String {
    let mut buffer = String::new();
    while !enough(&parse_frames(&buffer)) {
        let chunk = resp.chunk().await.unwrap().expect("more events");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    buffer
}
