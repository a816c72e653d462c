//! A group-buy offer of one SKU at a group price: groups of `group_size` (2-10) that fill within `time_limit_hours`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_group_buys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub sku_id: i32,
    pub price_fen: i64,
    pub group_size: i32,
    pub time_limit_hours: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
