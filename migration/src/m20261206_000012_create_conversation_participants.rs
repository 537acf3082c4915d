//! `conversation_participants`: who is in a conversation with which role; a
//! membership that ended keeps its row with `left_at`, and `joined_after_seq`
//! is the conversation's sequence when the user last joined (unread counts
//! start after it).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261205_000007_create_users::Users;
use crate::m20261206_000011_create_conversations::Conversations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum ConversationParticipants {
    Table,
    ConversationId,
    UserId,
    Role,
    JoinedAt,
    JoinedAfterSeq,
    LeftAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConversationParticipants::Table)
                    .if_not_exists()
                    .col(uuid(ConversationParticipants::ConversationId))
                    .col(uuid(ConversationParticipants::UserId))
                    .col(text(ConversationParticipants::Role))
                    .col(big_integer(ConversationParticipants::JoinedAt))
                    .col(big_integer(ConversationParticipants::JoinedAfterSeq))
                    .col(big_integer_null(ConversationParticipants::LeftAt))
                    .primary_key(
                        Index::create()
                            .col(ConversationParticipants::ConversationId)
                            .col(ConversationParticipants::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conversation_participants_conversation_id")
                            .from(
                                ConversationParticipants::Table,
                                ConversationParticipants::ConversationId,
                            )
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conversation_participants_user_id")
                            .from(
                                ConversationParticipants::Table,
                                ConversationParticipants::UserId,
                            )
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_conversation_participants_user_id")
                    .table(ConversationParticipants::Table)
                    .col(ConversationParticipants::UserId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(ConversationParticipants::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
