//! A flash sale of one SKU: its stock carved from the SKU at creation; `active` → `ended` (the unsold stock back to the SKU).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_flash_sales")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub sku_id: i32,
    pub price_fen: i64,
    pub initial_stock: i64,
    pub stock: i64,
    pub per_member_limit: i32,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
