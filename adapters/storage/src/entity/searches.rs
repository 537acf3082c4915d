//! Row model of the `searches` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "searches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text", nullable)]
    pub title: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub query: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub request_id: Option<String>,
    pub latency_ms: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub answer_text: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub answer_request_id: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub answer_citations: Option<Json>,
    #[sea_orm(column_type = "Text", nullable)]
    pub answer_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
