//! Row model of the `chats` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text", nullable)]
    pub title: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub initiated_provider: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub initiated_model: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_used_provider: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_used_model: Option<String>,
}

// Cascades live in the schema; no query here needs a join.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
