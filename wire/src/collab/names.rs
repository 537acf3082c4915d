//! The enums of the conversation shapes, by their wire names.

use poem_openapi::Enum;
use serde::{Deserialize, Serialize};
use sybil_domain::conversation::model::{MessageRole, ReplyStatus};
use sybil_domain::conversation::{ConversationRole, PresenceStatus};

macro_rules! wire_enum {
    ($name:ident <-> $domain:ident { $($variant:ident),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize, Serialize)]
        #[oai(rename_all = "lowercase")]
        #[serde(rename_all = "lowercase", try_from = "String")]
        pub enum $name {
            $($variant),+
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> $name {
                match value {
                    $($domain::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for $domain {
            fn from(value: $name) -> $domain {
                match value {
                    $($name::$variant => $domain::$variant),+
                }
            }
        }

        crate::from_string!($name);
    };
}

wire_enum!(ConversationRoleName <-> ConversationRole { Owner, Admin, Member, Viewer });
wire_enum!(PresenceStatusName <-> PresenceStatus { Online, Away, Offline });
wire_enum!(ReplyStatusName <-> ReplyStatus { Streaming, Completed, Stopped, Error });

/// The role of a thread's message (`tool` never appears in a thread).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum MessageRoleName {
    User,
    System,
    Assistant,
}

impl From<MessageRole> for MessageRoleName {
    fn from(role: MessageRole) -> MessageRoleName {
        match role {
            MessageRole::User => MessageRoleName::User,
            MessageRole::System => MessageRoleName::System,
            MessageRole::Assistant => MessageRoleName::Assistant,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_contracts() {
        assert_eq!(
            serde_json::to_value(ConversationRoleName::from(ConversationRole::Viewer)).unwrap(),
            "viewer"
        );
        assert_eq!(
            serde_json::from_value::<PresenceStatusName>("away".into()).unwrap(),
            PresenceStatusName::Away
        );
        assert!(serde_json::from_value::<ConversationRoleName>("boss".into()).is_err());
        assert_eq!(
            serde_json::to_value(MessageRoleName::from(MessageRole::Assistant)).unwrap(),
            "assistant"
        );
    }
}
