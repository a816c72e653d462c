//! Append-only history of operators' stock changes (and flash-sale carve-outs) of a SKU; `idem_key` unique.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_stock_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub sku_id: i32,
    pub delta: i64,
    pub reason: String,
    pub idem_key: String,
    pub operator_id: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
