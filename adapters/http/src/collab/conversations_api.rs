//! Conversations, membership and invites (§4.5, §4.6).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sybil_ports::inbound::{Caller, ConversationUseCases, NewConversation, NewInvite};
use sybil_wire::time::iso;

use super::CollabTags;
use super::conversation_dto::{
    AcceptInviteRequest, AddParticipantRequest, ConversationDetail, ConversationList,
    ConversationSummary, CreateConversationRequest, CreateInviteRequest, CreatedConversation,
    CreatedInvite, JoinedConversation, Participant,
};
use super::params::{NoContent, body_id, int_param, path_id, user_of};
use super::problem::Problem;
use super::request_body::ApiJson;

pub struct ConversationsApi {
    pub conversations: Arc<dyn ConversationUseCases>,
}

#[derive(ApiResponse)]
enum Created {
    #[oai(status = 201)]
    Conversation(Json<CreatedConversation>),
}

#[OpenApi(tag = "CollabTags::Conversations")]
impl ConversationsApi {
    /// List the caller's conversations
    ///
    /// Active memberships by `last_activity_at`, then `id`, descending;
    /// `next_cursor` when the page is full (`limit` 50 by default, at most 100).
    #[oai(path = "/api/conversations", method = "get")]
    async fn list(
        &self,
        caller: Data<&Caller>,
        cursor: Query<Option<String>>,
        limit: Query<Option<String>>,
    ) -> Result<Json<ConversationList>, Problem> {
        let user = user_of(&caller)?;
        let limit = int_param("limit", limit.0.as_deref())?;
        let page = self.conversations.list(user, cursor.0, limit).await?;
        Ok(Json(ConversationList {
            conversations: page
                .conversations
                .iter()
                .map(ConversationSummary::from)
                .collect(),
            next_cursor: page.next_cursor,
        }))
    }

    /// Create a conversation
    ///
    /// The caller becomes its owner. `provider` and `model` (both or neither)
    /// are its assistant replies' defaults. No event.
    #[oai(path = "/api/conversations", method = "post")]
    async fn create(
        &self,
        caller: Data<&Caller>,
        body: ApiJson<CreateConversationRequest>,
    ) -> Result<Created, Problem> {
        let user = user_of(&caller)?;
        let CreateConversationRequest {
            title,
            is_group,
            provider,
            model,
        } = body.0;
        let id = self
            .conversations
            .create(
                user,
                NewConversation {
                    title,
                    is_group: is_group.unwrap_or(false),
                    provider: provider.map(|p| p.domain()),
                    model,
                },
            )
            .await?;
        Ok(Created::Conversation(Json(CreatedConversation {
            conversation_id: id.to_string(),
        })))
    }

    /// A conversation with its participants
    #[oai(path = "/api/conversations/:conversation_id", method = "get")]
    async fn detail(
        &self,
        caller: Data<&Caller>,
        conversation_id: Path<String>,
    ) -> Result<Json<ConversationDetail>, Problem> {
        let user = user_of(&caller)?;
        let id = path_id("conversation_id", &conversation_id)?;
        let detail = self.conversations.detail(user, id).await?;
        Ok(Json(ConversationDetail {
            summary: (&detail.membership).into(),
            participants: detail.participants.iter().map(Participant::from).collect(),
        }))
    }

    /// Add a participant or change a role
    ///
    /// Events: `membership.changed`, then `presence.update` for the target;
    /// none when the target already has that role.
    #[oai(
        path = "/api/conversations/:conversation_id/participants",
        method = "post"
    )]
    async fn add_participant(
        &self,
        caller: Data<&Caller>,
        conversation_id: Path<String>,
        body: ApiJson<AddParticipantRequest>,
    ) -> Result<NoContent, Problem> {
        let user = user_of(&caller)?;
        let id = path_id("conversation_id", &conversation_id)?;
        let target = body_id("user_id", &body.0.user_id)?;
        self.conversations
            .add_participant(user, id, target, body.0.role.into())
            .await?;
        Ok(NoContent::Done)
    }

    /// Remove a participant, or leave
    ///
    /// History stays; the user may come back by an add or an invite.
    /// Event: `membership.changed` (`removed`).
    #[oai(
        path = "/api/conversations/:conversation_id/participants/:user_id",
        method = "delete"
    )]
    async fn remove_participant(
        &self,
        caller: Data<&Caller>,
        conversation_id: Path<String>,
        user_id: Path<String>,
    ) -> Result<NoContent, Problem> {
        let user = user_of(&caller)?;
        let id = path_id("conversation_id", &conversation_id)?;
        let target = path_id("user_id", &user_id)?;
        self.conversations
            .remove_participant(user, id, target)
            .await?;
        Ok(NoContent::Done)
    }

    /// Create an invite
    ///
    /// The token is shown only in this answer (only its SHA-256 is stored).
    #[oai(path = "/api/conversations/:conversation_id/invites", method = "post")]
    async fn create_invite(
        &self,
        caller: Data<&Caller>,
        conversation_id: Path<String>,
        body: ApiJson<CreateInviteRequest>,
    ) -> Result<Json<CreatedInvite>, Problem> {
        let user = user_of(&caller)?;
        let id = path_id("conversation_id", &conversation_id)?;
        let CreateInviteRequest {
            role,
            email,
            ttl_seconds,
        } = body.0;
        let issued = self
            .conversations
            .create_invite(
                user,
                id,
                NewInvite {
                    role: role.into(),
                    email,
                    ttl_seconds,
                },
            )
            .await?;
        Ok(Json(CreatedInvite {
            token: issued.token,
            expires_at: iso(issued.expires_at),
        }))
    }

    /// Accept an invite
    #[oai(path = "/api/invites/accept", method = "post")]
    async fn accept_invite(
        &self,
        caller: Data<&Caller>,
        body: ApiJson<AcceptInviteRequest>,
    ) -> Result<Json<JoinedConversation>, Problem> {
        let user = user_of(&caller)?;
        let id = self
            .conversations
            .accept_invite(user, &body.0.token)
            .await?;
        Ok(Json(JoinedConversation {
            conversation_id: id.to_string(),
        }))
    }

    /// Revoke an invite
    ///
    /// An invite already revoked, expired or accepted is left as it is.
    #[oai(path = "/api/invites/:token/revoke", method = "post")]
    async fn revoke_invite(
        &self,
        caller: Data<&Caller>,
        token: Path<String>,
    ) -> Result<NoContent, Problem> {
        let user = user_of(&caller)?;
        self.conversations.revoke_invite(user, &token).await?;
        Ok(NoContent::Done)
    }
}
