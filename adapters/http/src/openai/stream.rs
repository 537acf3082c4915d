//! A streamed completion as OpenAI `chat.completion.chunk` events: `data:`
//! lines only, a role chunk first, content chunks, a `finish_reason` chunk
//! (and the usage chunk when asked), then `data: [DONE]`. Tool calls run on
//! the server and are not shown; an error ends the stream with OpenAI's
//! error envelope, as OpenAI's SDKs expect.

use poem::http::StatusCode;
use sybil_ports::inbound::CompletionEvent;

use super::errors::envelope;
use crate::dto::openai_response::{OpenAiChunk, OpenAiChunkChoice, OpenAiDelta, OpenAiUsage};
use crate::sse::write_data;

/// Writes one completion's events as chunks. The chunk is kept between
/// events (only its choice changes), so a delta costs no copy of the id and
/// model.
pub struct Chunks {
    chunk: OpenAiChunk,
    include_usage: bool,
}

impl Chunks {
    pub fn new(id: String, created: i64, model: String, include_usage: bool) -> Self {
        let chunk = OpenAiChunk {
            choices: Vec::with_capacity(1),
            created,
            id,
            model,
            object: "chat.completion.chunk".into(),
            usage: None,
        };
        Chunks {
            chunk,
            include_usage,
        }
    }

    fn write_choice(&mut self, out: &mut Vec<u8>, delta: OpenAiDelta, finish: Option<&str>) {
        self.chunk.choices.push(OpenAiChunkChoice {
            delta,
            finish_reason: finish.map(str::to_string),
            index: 0,
        });
        write_data(out, &self.chunk);
        self.chunk.choices.clear();
    }

    /// Writes the frames of one event; nothing for the events OpenAI's
    /// format has no place for (tool calls run on the server).
    pub fn write(&mut self, event: CompletionEvent, out: &mut Vec<u8>) {
        match event {
            CompletionEvent::Meta(_) => {
                let delta = OpenAiDelta {
                    content: Some(String::new()),
                    role: Some("assistant".into()),
                };
                self.write_choice(out, delta, None);
            }
            CompletionEvent::Delta { text } => {
                let delta = OpenAiDelta {
                    content: Some(text),
                    role: None,
                };
                self.write_choice(out, delta, None);
            }
            CompletionEvent::ToolCall(_) => {}
            CompletionEvent::Done(outcome) => {
                self.write_choice(out, OpenAiDelta::default(), Some("stop"));
                if self.include_usage {
                    let u = outcome.usage;
                    self.chunk.usage = Some(OpenAiUsage {
                        completion_tokens: u.output_tokens,
                        prompt_tokens: u.input_tokens,
                        total_tokens: u.total_tokens,
                    });
                    write_data(out, &self.chunk);
                }
                out.extend_from_slice(b"data: [DONE]\n\n");
            }
            CompletionEvent::Error { message } => {
                let error = envelope(StatusCode::BAD_GATEWAY, &message, None);
                // Through a `Value`, as poem-openapi writes the envelope of
                // the JSON error answers: keys sorted, as always sent here.
                let error = serde_json::to_value(error).unwrap_or_default();
                write_data(out, &error);
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
        Chunks::new("chatcmpl-1".into(), 7, "openai/m".into(), include_usage)
    }

    fn frame(chunks: &mut Chunks, event: CompletionEvent) -> String {
        let mut out = Vec::new();
        chunks.write(event, &mut out);
        String::from_utf8(out).unwrap()
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

    /// A chunk as it has always been written: keys sorted.
    fn chunk(choices: &str, usage: &str) -> String {
        format!(
            "data: {{\"choices\":{choices},\"created\":7,\"id\":\"chatcmpl-1\",\
             \"model\":\"openai/m\",\"object\":\"chat.completion.chunk\",\"usage\":{usage}}}\n\n"
        )
    }

    #[test]
    fn deltas_are_chunks_and_done_ends_with_done() {
        let mut c = chunks(false);
        let meta = CompletionEvent::Meta(Box::new(StreamMeta {
            chat_id: None,
            provider: Provider::OpenAi,
            model: "m".into(),
            completion_id: None,
        }));
        assert_eq!(
            frame(&mut c, meta),
            chunk(
                r#"[{"delta":{"content":"","role":"assistant"},"finish_reason":null,"index":0}]"#,
                "null"
            )
        );
        let delta = CompletionEvent::Delta {
            text: "a\nb".into(),
        };
        assert_eq!(
            frame(&mut c, delta),
            chunk(
                r#"[{"delta":{"content":"a\nb"},"finish_reason":null,"index":0}]"#,
                "null"
            )
        );
        assert_eq!(
            frame(&mut c, done()),
            chunk(r#"[{"delta":{},"finish_reason":"stop","index":0}]"#, "null")
                + "data: [DONE]\n\n"
        );
    }

    #[test]
    fn usage_comes_in_its_own_chunk_when_asked() {
        let usage = r#"{"completion_tokens":4,"prompt_tokens":3,"total_tokens":7}"#;
        assert_eq!(
            frame(&mut chunks(true), done()),
            chunk(r#"[{"delta":{},"finish_reason":"stop","index":0}]"#, "null")
                + &chunk("[]", usage)
                + "data: [DONE]\n\n"
        );
    }

    #[test]
    fn a_tool_call_is_not_shown() {
        let call = CompletionEvent::ToolCall(Box::new(sybil_ports::inbound::ToolCallEvent {
            message_id: None,
            tool_call_id: "c".into(),
            name: "n".into(),
            arguments: serde_json::json!({}),
            status: "completed".into(),
            output: String::new(),
            error: None,
            duration_ms: 0,
            round: 1,
        }));
        assert_eq!(frame(&mut chunks(false), call), "");
    }

    #[test]
    fn an_error_is_the_envelope() {
        let error = CompletionEvent::Error {
            message: "openai upstream error: boom".into(),
        };
        assert_eq!(
            frame(&mut chunks(false), error),
            "data: {\"error\":{\"code\":\"upstream_error\",\"message\":\"openai upstream error: boom\",\
             \"param\":null,\"type\":\"server_error\"}}\n\n"
        );
    }
}
