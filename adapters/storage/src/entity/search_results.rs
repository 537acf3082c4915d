//! Row model of the `search_results` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "search_results")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub search_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub rank: i32,
    #[sea_orm(column_type = "JsonBinary")]
    pub result: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
