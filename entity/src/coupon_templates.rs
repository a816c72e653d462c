//! A coupon template: what a merchant (or the platform's own shop, `merchant_id` NULL) issues,
//! its stock and who may claim it. Status: `draft` → `pending` → `live` (approved by an
//! operator) or `rejected`; `live` ⇄ `paused`; → `ended`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coupon_templates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub merchant_id: Option<i32>,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// `cash`, `discount` or `gift`.
    pub kind: String,
    pub amount_fen: Option<i64>,
    pub threshold_fen: i64,
    pub percent_off: Option<i32>,
    pub max_off_fen: Option<i64>,
    /// `fixed` (valid_from..=valid_to, Asia/Shanghai dates) or `relative` (valid_days).
    pub validity_type: String,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub valid_days: Option<i32>,
    pub total_stock: i32,
    /// Stock not yet claimed: `total_stock - claimed`, never below zero.
    pub remaining: i32,
    pub per_member_limit: i32,
    pub claim_from: DateTimeUtc,
    pub claim_to: DateTimeUtc,
    pub age_min_days: Option<i32>,
    pub age_max_days: Option<i32>,
    /// JSON array of city names; None: every city.
    #[sea_orm(column_type = "Text", nullable)]
    pub cities: Option<String>,
    pub points_cost: i32,
    pub status: String,
    pub reject_reason: Option<String>,
    /// `operator:<id>` or `merchant_staff:<id>`.
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
