//! `conversation_invites`: invites by the SHA-256 of their token.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261206_000011_create_conversations::Conversations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum ConversationInvites {
    Table,
    Id,
    ConversationId,
    TokenDigest,
    Role,
    Email,
    ExpiresAt,
    RevokedAt,
    AcceptedBy,
    AcceptedAt,
    CreatedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConversationInvites::Table)
                    .if_not_exists()
                    .col(pk_uuid(ConversationInvites::Id))
                    .col(uuid(ConversationInvites::ConversationId))
                    .col(text_uniq(ConversationInvites::TokenDigest))
                    .col(text(ConversationInvites::Role))
                    .col(text_null(ConversationInvites::Email))
                    .col(big_integer(ConversationInvites::ExpiresAt))
                    .col(big_integer_null(ConversationInvites::RevokedAt))
                    .col(uuid_null(ConversationInvites::AcceptedBy))
                    .col(big_integer_null(ConversationInvites::AcceptedAt))
                    .col(uuid(ConversationInvites::CreatedBy))
                    .col(big_integer(ConversationInvites::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conversation_invites_conversation_id")
                            .from(
                                ConversationInvites::Table,
                                ConversationInvites::ConversationId,
                            )
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(ConversationInvites::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
