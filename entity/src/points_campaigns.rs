//! Points campaigns (a multiplier for some days, reasons and members), defined by operators.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "points_campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub slug: String,
    /// The domain's `Campaign` as JSON.
    pub definition: String,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    /// Set when an operator ended it: it multiplies nothing from then on.
    pub ended_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub created_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
