//! The model-list endpoints: default lists and each provider's list shape.

use serde_json::{Value, json};

use crate::FakeKind;

/// The list a fresh fake serves. OpenAI mixes in non-chat models so filters can be tested.
pub(crate) fn defaults(kind: FakeKind) -> Vec<String> {
    let ids: &[&str] = match kind {
        FakeKind::OpenAi => &[
            "gpt-4.1-mini",
            "gpt-5",
            "o3-mini",
            "gpt-4o-mini",
            "text-embedding-3-small",
            "gpt-4o-realtime-preview",
            "dall-e-3",
            "whisper-1",
            "gpt-4o-mini-tts",
            "tts-1",
            "omni-moderation-latest",
        ],
        FakeKind::Xai => &["grok-3-mini", "grok-4-fast"],
        FakeKind::Anthropic => &["claude-sonnet-4-20250514", "claude-3-5-haiku-latest"],
    };
    ids.iter().map(|s| (*s).to_owned()).collect()
}

/// OpenAI/xAI `{"object":"list","data":[{id,object,created,owned_by}]}`.
pub(crate) fn openai_list(ids: &[String], kind: FakeKind) -> Value {
    let data: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let owned_by = match kind {
                FakeKind::Xai => "xai",
                _ if id.starts_with("dall-e") || id.starts_with("whisper") => "openai-internal",
                _ => "system",
            };
            json!({"id": id, "object": "model", "created": 1_754_425_777 - 86_400 * i as i64, "owned_by": owned_by})
        })
        .collect();
    json!({"object": "list", "data": data})
}

/// Anthropic's page for `?limit=&after_id=`, or the 400 message for a bad `limit`.
pub(crate) fn anthropic_page(ids: &[String], query: &str) -> Result<Value, String> {
    let limit = match param(query, "limit") {
        None => 20,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(format!(
                    "limit: Input should be between 1 and 1000, got {v}"
                ));
            }
        },
    };
    let start = match param(query, "after_id") {
        None => 0,
        Some(after) => ids
            .iter()
            .position(|i| *i == after)
            .map_or(ids.len(), |p| p + 1),
    };
    let page: Vec<&String> = ids.iter().skip(start).take(limit).collect();
    let has_more = start + page.len() < ids.len();
    let data: Vec<Value> = page
        .iter()
        .map(|id| {
            let (name, created) = anthropic_info(id);
            json!({"type": "model", "id": id, "display_name": name, "created_at": created})
        })
        .collect();
    Ok(json!({
        "data": data,
        "has_more": has_more,
        "first_id": page.first(),
        "last_id": page.last(),
    }))
}

fn anthropic_info(id: &str) -> (String, &'static str) {
    match id {
        "claude-sonnet-4-20250514" => ("Claude Sonnet 4".to_owned(), "2025-05-22T00:00:00Z"),
        "claude-3-5-haiku-latest" => ("Claude Haiku 3.5".to_owned(), "2024-10-22T00:00:00Z"),
        _ => (id.to_owned(), "2025-01-01T00:00:00Z"),
    }
}

/// One query parameter, `+` and `%XX` decoded.
pub(crate) fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| decode(v))
    })
}

fn decode(v: &str) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = v.as_bytes().get(i) {
        let hex = v
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(c)) => {
                out.push(c);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
