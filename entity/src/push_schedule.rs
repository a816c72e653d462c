//! Each baby's next push date: the first day on which the push planner may have something to
//! plan for it. The planner reads babies through this index only.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_schedule")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub baby_id: i32,
    /// A calendar date in Asia/Shanghai; None when nothing will ever be planned again.
    pub next_push_date: Option<Date>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
