//! A product's SKU: its spec (a JSON object of spec values), price, member price per tier (None: the price) and stock (never below zero: guarded).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_skus")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub product_id: i32,
    #[sea_orm(column_type = "Text")]
    pub spec: String,
    pub price_fen: i64,
    pub basic_fen: Option<i64>,
    pub advanced_fen: Option<i64>,
    pub premium_fen: Option<i64>,
    pub stock: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
