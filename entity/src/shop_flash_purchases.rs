//! Units of a flash sale a member holds (paid or awaiting payment): a guarded counter, never above the sale's per-member limit.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_flash_purchases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub flash_sale_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: i32,
    pub quantity: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
