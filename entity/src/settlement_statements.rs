//! A merchant's statement for a month (`YYYY-MM`, Asia/Shanghai): running totals of its lines,
//! moved in the transaction that writes each line while `open`; `closed` never changes.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "settlement_statements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub merchant_id: i32,
    pub month: String,
    pub status: String,
    pub lines: i32,
    pub face_value_fen: i64,
    pub commission_fen: i64,
    pub closed_at: Option<DateTimeUtc>,
    pub closed_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
