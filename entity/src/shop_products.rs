//! A shop product: `draft` → `on_sale` ⇄ `off_sale`. `images` and `tags` are JSON arrays of strings; the baby age band in days (both or neither).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub category_id: i32,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    #[sea_orm(column_type = "Text")]
    pub images: String,
    pub age_min_days: Option<i32>,
    pub age_max_days: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub tags: String,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
