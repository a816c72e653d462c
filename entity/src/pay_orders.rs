//! Everything that is paid with WeChat Pay: `created → paid → partially_refunded → refunded`,
//! `created → closed`. Every transition is a guarded update plus a `pay_order_events` row.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pay_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub out_trade_no: String,
    /// `membership` (and `shop` next).
    pub purpose: String,
    /// What was bought, for the purpose (a plan id).
    pub reference: String,
    /// None once the member is erased (the amounts stay for the accounts).
    pub member_id: Option<i32>,
    pub openid: Option<String>,
    pub request_id: Option<String>,
    pub description: String,
    pub amount_fen: i64,
    /// Refunds asked for and not closed: what the next refund must stay within.
    pub refund_reserved_fen: i64,
    /// Refunds WeChat Pay confirmed.
    pub refunded_fen: i64,
    pub state: String,
    pub prepay_id: Option<String>,
    pub transaction_id: Option<String>,
    /// When an unpaid order is closed (created + 30 minutes).
    pub close_due_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
