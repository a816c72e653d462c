//! A line of a shop order, with the unit price charged.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_order_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub order_id: i32,
    pub sku_id: Option<i32>,
    pub product_id: Option<i32>,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub spec: String,
    pub quantity: i32,
    pub unit_fen: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
