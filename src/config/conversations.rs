//! The settings of `/api` conversations (§1.8 of COLLAB-API.md): presence
//! times, the assistant's default provider and model, and the stream's
//! retention, lag limit, keep-alive and session checks.

use std::time::Duration;

use sybil_domain::Provider;
use sybil_domain::conversation::presence::PresenceTimes;

use super::reader::Reader;

#[derive(Debug, Clone)]
pub struct ConversationsConfig {
    pub presence: PresenceTimes,
    /// `ASSISTANT_DEFAULT_PROVIDER` and `ASSISTANT_DEFAULT_MODEL` (both or neither).
    pub assistant_default: Option<(Provider, String)>,
    /// `SSE_RETENTION_SECONDS`.
    pub stream_retention: Duration,
    /// `SSE_MAX_LAG_EVENTS`.
    pub stream_max_lag: u64,
    /// `SSE_KEEPALIVE_SECONDS`.
    pub stream_keepalive: Duration,
    /// `STREAM_SESSION_CHECK_SECONDS`.
    pub stream_session_check: Duration,
}

pub(super) fn conversations(r: &mut Reader) -> ConversationsConfig {
    let away = r.positive("PRESENCE_AWAY_SECONDS", 45);
    let offline = r.positive("PRESENCE_OFFLINE_SECONDS", 300);
    if offline <= away {
        r.errors.push(format!(
            "PRESENCE_OFFLINE_SECONDS: must be greater than PRESENCE_AWAY_SECONDS ({away}) (got {offline})"
        ));
    }
    let ms = |s: u64| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX);
    let provider = r.get("ASSISTANT_DEFAULT_PROVIDER");
    let model = r.get("ASSISTANT_DEFAULT_MODEL");
    let assistant_default = match (provider, model) {
        (None, None) => None,
        (Some(p), Some(m)) => match p.parse::<Provider>() {
            Ok(provider) => Some((provider, m)),
            Err(_) => {
                r.errors.push(format!(
                    "ASSISTANT_DEFAULT_PROVIDER: must be one of openai, anthropic, xai (got {p})"
                ));
                None
            }
        },
        (Some(_), None) => {
            r.errors.push(
                "ASSISTANT_DEFAULT_MODEL: must be set with ASSISTANT_DEFAULT_PROVIDER".into(),
            );
            None
        }
        (None, Some(_)) => {
            r.errors.push(
                "ASSISTANT_DEFAULT_PROVIDER: must be set with ASSISTANT_DEFAULT_MODEL".into(),
            );
            None
        }
    };
    ConversationsConfig {
        presence: PresenceTimes {
            away_ms: ms(away),
            offline_ms: ms(offline),
        },
        assistant_default,
        stream_retention: Duration::from_secs(r.positive("SSE_RETENTION_SECONDS", 172_800)),
        stream_max_lag: r.positive("SSE_MAX_LAG_EVENTS", 1000),
        stream_keepalive: Duration::from_secs(r.positive("SSE_KEEPALIVE_SECONDS", 15)),
        stream_session_check: Duration::from_secs(r.positive("STREAM_SESSION_CHECK_SECONDS", 60)),
    }
}
