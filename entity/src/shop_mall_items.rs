//! A points-mall item: `physical` (ships like an order) or `coupon` (grants a coupon of `coupon_template_id`); priced in points, or points plus cash. Status `on_sale` / `off_sale`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_mall_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub kind: String,
    pub points: i64,
    pub cash_fen: i64,
    pub stock: i64,
    pub coupon_template_id: Option<i32>,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
