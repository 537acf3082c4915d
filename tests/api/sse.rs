//! Reading Server-Sent Events in tests.

use serde_json::Value;

/// One parsed SSE frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub event: String,
    pub id: u64,
    pub data: Value,
}

/// The frames of an SSE body (comments such as `: ping` skipped).
pub fn parse_frames(text: &str) -> Vec<Frame> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty() && !block.starts_with(':'))
        .map(|block| {
            let mut frame = Frame {
                event: String::new(),
                id: 0,
                data: Value::Null,
            };
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    frame.event = v.to_string();
                } else if let Some(v) = line.strip_prefix("id: ") {
                    frame.id = v.parse().unwrap();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    frame.data = serde_json::from_str(v).unwrap();
                }
            }
            frame
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
