//! One row per `out_refund_no`: `requested → processing → success | closed` (`abnormal` waits).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pay_refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub order_id: i32,
    #[sea_orm(unique)]
    pub out_refund_no: String,
    pub request_id: String,
    pub amount_fen: i64,
    pub reason: Option<String>,
    /// A payment that arrived after the order was closed.
    pub automatic: bool,
    pub state: String,
    pub refund_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub settled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
