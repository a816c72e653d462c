//! A coupon redeemed at a merchant's counter: at most one per coupon, one per (merchant,
//! request_id).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coupon_redemptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub coupon_id: i64,
    pub merchant_id: i32,
    pub store_id: Option<i32>,
    pub staff_id: i32,
    pub request_id: String,
    pub order_amount_fen: i64,
    pub face_value_fen: i64,
    pub redeemed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
