//! Append-only history of `pay_orders`; `idem_key` (unique) is the claim of each effect
//! (`paid:<transaction_id>`, `refund:<out_refund_no>`, ...).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pay_order_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub order_id: i32,
    pub kind: String,
    pub idem_key: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub amount_fen: i64,
    pub transaction_id: Option<String>,
    pub detail: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
