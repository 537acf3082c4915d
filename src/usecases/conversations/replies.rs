//! Assistant replies (§5): created when a `user` post is committed, run in
//! the background by a `ReplyRunner`, ended here when they cannot run.

use async_trait::async_trait;
use sybil_domain::Provider;
use sybil_domain::conversation::model::{Conversation, ReplyError, ReplyStatus, ThreadMessage};
use sybil_ports::inbound::{CompletionError, ConversationError};
use sybil_ports::outbound::{FinishReason, NewReply, ReplyEnd};
use uuid::Uuid;

use super::ConversationService;

/// Runs replies on the completion engine, each as a task of its own.
#[async_trait]
pub trait ReplyRunner: Send + Sync {
    /// Whether `provider` has its API key.
    fn configured(&self, provider: Provider) -> bool;

    /// Runs a reply created `streaming` to its end, in the background.
    fn run(&self, reply: ThreadMessage);

    /// Stops the reply if it runs in this process, and returns once it has
    /// ended; `false` when it does not run here.
    async fn stop(&self, reply: Uuid) -> bool;
}

impl ConversationService {
    /// Creates the reply to `post` and starts it (or ends it at once when
    /// no provider can run it); its id.
    pub(super) async fn start_reply(
        &self,
        conversation: &Conversation,
        post: &ThreadMessage,
        asked: Option<(Provider, String)>,
    ) -> Result<Uuid, ConversationError> {
        let model = asked
            .or_else(|| conversation.defaults.clone())
            .or_else(|| self.deps.settings.assistant_default.clone());
        let reply = self
            .deps
            .store
            .start_reply(NewReply {
                id: self.deps.ids.new_id(),
                parent: post.clone(),
                model: model.clone(),
                owner: self.deps.settings.owner.clone(),
                now: self.now(),
            })
            .await?;
        let failure = match &model {
            None => Some(ReplyError::no_model()),
            Some((provider, _)) if !self.deps.replies.configured(*provider) => {
                Some(ReplyError::provider_not_configured(
                    CompletionError::Unconfigured {
                        provider: *provider,
                    }
                    .to_string(),
                ))
            }
            Some(_) => None,
        };
        let id = reply.id;
        match failure {
            Some(error) => {
                self.deps
                    .store
                    .finish_reply(
                        &reply,
                        ReplyEnd {
                            status: ReplyStatus::Error,
                            finish_reason: FinishReason::Error,
                            error: Some(error),
                            usage: None,
                            now: self.now(),
                        },
                    )
                    .await?;
            }
            None => self.deps.replies.run(reply),
        }
        Ok(id)
    }

    /// Stops a streaming reply: its run if it is here, else the record.
    /// The status it ended with.
    pub(super) async fn stop_reply(
        &self,
        reply: &ThreadMessage,
    ) -> Result<Option<ReplyStatus>, ConversationError> {
        if !self.deps.replies.stop(reply.id).await {
            self.deps
                .store
                .finish_reply(
                    reply,
                    ReplyEnd {
                        status: ReplyStatus::Stopped,
                        finish_reason: FinishReason::Cancelled,
                        error: None,
                        usage: None,
                        now: self.now(),
                    },
                )
                .await?;
        }
        Ok(self
            .deps
            .store
            .message(reply.id)
            .await?
            .and_then(|m| m.status))
    }
}
