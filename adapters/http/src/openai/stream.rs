//! A streamed completion as OpenAI `chat.completion.chunk` events: `data:`
//! lines only, a role chunk first, content chunks, a `finish_reason` chunk
//! (and the usage chunk when asked), then `data: [DONE]`. Tool calls run on
//! the server and are not shown; an error ends the stream with OpenAI's
//! error envelope, as OpenAI's SDKs expect.

use poem::http::StatusCode;
use serde_json::{Value, json};
use sybil_ports::inbound::CompletionEvent;

use super::errors::envelope;

/// The fields every chunk of one completion repeats.
pub struct Chunks {
    pub id: String,
    pub created: i64,
    pub model: String,
    pub include_usage: bool,
}

impl Chunks {
    fn chunk(&self, choices: Value, usage: Value) -> String {
        let chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
            "usage": usage,
        });
        format!("data: {chunk}\n\n")
    }

    fn choice(&self, delta: Value, finish_reason: Option<&str>) -> String {
        let choice = json!([{ "index": 0, "delta": delta, "finish_reason": finish_reason }]);
        self.chunk(choice, Value::Null)
    }

    /// The frames for one event; `None` for events OpenAI's format has no
    /// place for (tool calls run on the server).
    pub fn frame(&self, event: &CompletionEvent) -> Option<String> {
        match event {
            CompletionEvent::Meta(_) => {
                Some(self.choice(json!({ "role": "assistant", "content": "" }), None))
            }
            CompletionEvent::Delta { text } => Some(self.choice(json!({ "content": text }), None)),
            CompletionEvent::ToolCall(_) => None,
            CompletionEvent::Done(outcome) => {
                let mut out = self.choice(json!({}), Some("stop"));
                if self.include_usage {
                    let u = outcome.usage;
                    out.push_str(&self.chunk(
                        json!([]),
                        json!({ "prompt_tokens": u.input_tokens,
                                "completion_tokens": u.output_tokens,
                                "total_tokens": u.total_tokens }),
                    ));
                }
                out.push_str("data: [DONE]\n\n");
                Some(out)
            }
            CompletionEvent::Error { message } => {
                let error = envelope(StatusCode::BAD_GATEWAY, message, None);
                Some(format!("data: {}\n\n", json!(error)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use sybil_domain::{Provider, Usage};
    use sybil_ports::inbound::{CompletionOutcome, StreamMeta};
    use sybil_ports::outbound::RawJson;

    use super::*;

    fn chunks(include_usage: bool) -> Chunks {
        Chunks {
            id: "chatcmpl-1".into(),
            created: 7,
            model: "openai/m".into(),
            include_usage,
        }
    }

    fn data_lines(text: &str) -> Vec<Value> {
        text.split("\n\n")
            .filter_map(|f| f.strip_prefix("data: "))
            .filter(|d| *d != "[DONE]")
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    fn done() -> CompletionEvent {
        CompletionEvent::Done(Box::new(CompletionOutcome {
            chat_id: None,
            provider: Provider::OpenAi,
            model: "m".into(),
            content: "hi".into(),
            message_id: None,
            usage: Usage {
                input_tokens: 3,
                output_tokens: 4,
                total_tokens: 7,
            },
            raw: RawJson::null(),
            stopped: false,
            overhead_ms: 0.0,
        }))
    }

    #[test]
    fn deltas_are_chunks_and_done_ends_with_done() {
        let c = chunks(false);
        let first = c
            .frame(&CompletionEvent::Meta(Box::new(StreamMeta {
                chat_id: None,
                provider: Provider::OpenAi,
                model: "m".into(),
                completion_id: None,
            })))
            .unwrap();
        assert_eq!(
            data_lines(&first)[0],
            json!({ "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 7,
                    "model": "openai/m", "usage": null,
                    "choices": [{ "index": 0, "delta": { "role": "assistant", "content": "" },
                                  "finish_reason": null }] })
        );
        let delta = c
            .frame(&CompletionEvent::Delta {
                text: "a\nb".into(),
            })
            .unwrap();
        assert_eq!(
            data_lines(&delta)[0]["choices"][0]["delta"],
            json!({ "content": "a\nb" })
        );
        let last = c.frame(&done()).unwrap();
        assert!(last.ends_with("data: [DONE]\n\n"));
        let lines = data_lines(&last);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["choices"][0]["finish_reason"], "stop");
    }

    #[test]
    fn usage_comes_in_its_own_chunk_when_asked() {
        let lines = data_lines(&chunks(true).frame(&done()).unwrap());
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["choices"], json!([]));
        assert_eq!(
            lines[1]["usage"],
            json!({ "prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7 })
        );
    }

    #[test]
    fn an_error_is_the_envelope() {
        let text = chunks(false)
            .frame(&CompletionEvent::Error {
                message: "openai upstream error: boom".into(),
            })
            .unwrap();
        assert!(!text.contains("[DONE]"));
        assert_eq!(
            data_lines(&text)[0]["error"]["message"],
            "openai upstream error: boom"
        );
    }
}
