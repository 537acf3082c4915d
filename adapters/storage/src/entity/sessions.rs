//! Row model of the `sessions` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    #[sea_orm(column_type = "Text", unique)]
    pub token_digest: String,
    #[sea_orm(column_type = "Text")]
    pub csrf_digest: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub absolute_expires_at: i64,
    pub revoked: bool,
    pub grace_until: Option<i64>,
    pub predecessor_id: Option<Uuid>,
    pub successor_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
