//! A redemption code shown as a QR code: random, valid 60 seconds, single use, bound to one
//! coupon. Only its SHA-256 is stored. Status `active` → `used`, or `replaced` when the member
//! asks for a new one.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coupon_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub coupon_id: i64,
    #[sea_orm(unique)]
    pub code_hash: String,
    pub status: String,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
