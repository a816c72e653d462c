//! A shop order (`kind` `goods` or `mall`). Status: `pending_payment` → `paid` (a group order: `awaiting_group` until its group fills) → `shipped` → `received`; `pending_payment` → `cancelled`; `paid`/`shipped`/`received` → `refund_requested` → `refunding` → `refunded`, or back (refused) to `refund_from`. Unique by (member, request_id).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub member_id: Option<i32>,
    pub request_id: String,
    pub kind: String,
    pub status: String,
    pub refund_from: Option<String>,
    pub goods_fen: i64,
    pub coupon_id: Option<i64>,
    pub coupon_fen: i64,
    pub points: i64,
    pub points_fen: i64,
    /// Points the payment earned (taken back, as far as the balance goes, on a refund).
    pub points_earned: i64,
    pub payable_fen: i64,
    pub pay_order_id: Option<i32>,
    pub flash_sale_id: Option<i32>,
    pub mall_item_id: Option<i32>,
    /// The group (拼团) this order opened or joined.
    pub group_id: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub address: Option<String>,
    pub tracking_no: Option<String>,
    pub refund_reason: Option<String>,
    pub refuse_reason: Option<String>,
    pub pay_due_at: Option<DateTimeUtc>,
    pub confirm_due_at: Option<DateTimeUtc>,
    pub paid_at: Option<DateTimeUtc>,
    pub shipped_at: Option<DateTimeUtc>,
    pub received_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
