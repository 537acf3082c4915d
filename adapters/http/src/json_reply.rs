//! A JSON response written straight from the DTO with serde. poem-openapi's
//! `Json` first builds a `serde_json::Value` of the whole response (a copy
//! of every string, and of a completion's `raw` provider body), which showed
//! in the profile of a loaded server. The spec still comes from the DTO's
//! poem-openapi derive; a test per DTO checks that both write the same JSON.

use poem::{IntoResponse, Response};
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::Serialize;

use crate::error::ApiError;

pub struct JsonReply<T>(pub T);

impl<T: Type> Payload for JsonReply<T> {
    const CONTENT_TYPE: &'static str = Json::<T>::CONTENT_TYPE;

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + Serialize> IntoResponse for JsonReply<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => Response::builder()
                .content_type(Self::CONTENT_TYPE)
                .body(body),
            // Only a map with keys that are not strings can fail; no DTO has one.
            Err(e) => {
                tracing::error!(error = %e, "a response could not be written as JSON");
                ApiError::internal().into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::{Any, ToJSON};

    use super::*;
    use crate::dto::completions::{AssistantMessageBody, CompletionResponse, UsageBody};
    use crate::dto::requests::{ProviderName, RoleName};

    /// A provider body as it may arrive: its spacing is kept.
    const RAW: &str = r#"{"id": "msg_1",  "content": [{"type":"text","text":"Hi"}], "n": null}"#;

    fn completion(chat_id: Option<&str>) -> CompletionResponse {
        CompletionResponse {
            chat_id: chat_id.map(str::to_string),
            provider: ProviderName::Anthropic,
            model: "claude-x".into(),
            message: AssistantMessageBody {
                role: RoleName::Assistant,
                content: "Hi \"there\"\n".into(),
            },
            usage: UsageBody {
                input_tokens: 1,
                output_tokens: 2,
                total_tokens: 3,
            },
            raw: Any(serde_json::from_str(RAW).unwrap()),
        }
    }

    #[tokio::test]
    async fn a_completion_is_written_as_the_spec_derive_writes_it() {
        for chat_id in [None, Some("0193a0c4-0000-7000-8000-000000000000")] {
            let dto = completion(chat_id);
            let expected = dto.to_json().unwrap();
            let resp = JsonReply(dto).into_response();
            assert_eq!(
                resp.headers()["content-type"],
                "application/json; charset=utf-8"
            );
            let body = resp.into_body().into_vec().await.unwrap();
            let written: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(written, expected);
            let text = String::from_utf8(body).unwrap();
            assert!(text.contains(&format!(r#""raw":{RAW}"#)), "{text}");
        }
    }
}
