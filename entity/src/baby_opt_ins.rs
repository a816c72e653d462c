//! Self-paid vaccines (or combination products) the parents chose for a baby.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "baby_opt_ins")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub baby_id: i32,
    /// A vaccine or product id of the schedule edition, e.g. `PCV13`.
    pub vaccine: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
