//! One line of a merchant's settlement: a redemption (face value, commission at the merchant's
//! rate) or an operator's adjustment. Append-only.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "settlement_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: i32,
    pub store_id: Option<i32>,
    pub template_id: Option<i32>,
    pub redemption_id: Option<i64>,
    pub month: String,
    /// `redemption` or `adjustment`.
    pub kind: String,
    pub face_value_fen: i64,
    pub commission_fen: i64,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
