//! A partner merchant: a shop that issues coupons through us and redeems them at its stores.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "merchants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    /// `active` or `suspended` (its live coupons are not claimable).
    pub status: String,
    pub created_at: DateTimeUtc,
    /// `baby_shop`, `photo_studio`, `early_education`, `clinic_neighbour` or `other`.
    pub kind: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// Our commission on each redemption's face value, in basis points (1/100 of a percent).
    pub commission_bps: i32,
    /// An operator stopped redemptions of its unused coupons (suspension alone does not).
    pub redemption_blocked: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
