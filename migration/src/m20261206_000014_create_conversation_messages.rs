//! `conversation_messages`: the messages of every thread, numbered per
//! conversation; `path` orders a thread depth-first. A deleted message keeps
//! its text (restore brings it back). A streaming reply holds a lease: the
//! process running it and that process's last heartbeat.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261206_000011_create_conversations::Conversations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum ConversationMessages {
    Table,
    Id,
    ConversationId,
    Seq,
    RootId,
    ParentId,
    AuthorUserId,
    Role,
    Content,
    Path,
    CreatedAt,
    EditedAt,
    EditReason,
    DeletedAt,
    DeletedBy,
    Status,
    ErrorCode,
    ErrorMessage,
    Provider,
    Model,
    LeaseOwner,
    LeaseHeartbeatAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Paths compare byte-wise (depth-first order); PostgreSQL's default
        // collation would not, so the column is given the "C" one there.
        let mut path = text(ConversationMessages::Path);
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            path.extra("COLLATE \"C\"");
        }
        manager
            .create_table(
                Table::create()
                    .table(ConversationMessages::Table)
                    .if_not_exists()
                    .col(pk_uuid(ConversationMessages::Id))
                    .col(uuid(ConversationMessages::ConversationId))
                    .col(big_integer(ConversationMessages::Seq))
                    .col(uuid(ConversationMessages::RootId))
                    .col(uuid_null(ConversationMessages::ParentId))
                    .col(uuid_null(ConversationMessages::AuthorUserId))
                    .col(text(ConversationMessages::Role))
                    .col(text(ConversationMessages::Content))
                    .col(path)
                    .col(big_integer(ConversationMessages::CreatedAt))
                    .col(big_integer_null(ConversationMessages::EditedAt))
                    .col(text_null(ConversationMessages::EditReason))
                    .col(big_integer_null(ConversationMessages::DeletedAt))
                    .col(uuid_null(ConversationMessages::DeletedBy))
                    .col(text_null(ConversationMessages::Status))
                    .col(text_null(ConversationMessages::ErrorCode))
                    .col(text_null(ConversationMessages::ErrorMessage))
                    .col(text_null(ConversationMessages::Provider))
                    .col(text_null(ConversationMessages::Model))
                    .col(text_null(ConversationMessages::LeaseOwner))
                    .col(big_integer_null(ConversationMessages::LeaseHeartbeatAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conversation_messages_conversation_id")
                            .from(
                                ConversationMessages::Table,
                                ConversationMessages::ConversationId,
                            )
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .unique()
                    .name("idx_conversation_messages_seq")
                    .table(ConversationMessages::Table)
                    .col(ConversationMessages::ConversationId)
                    .col(ConversationMessages::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_conversation_messages_root_path")
                    .table(ConversationMessages::Table)
                    .col(ConversationMessages::RootId)
                    .col(ConversationMessages::Path)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(ConversationMessages::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
