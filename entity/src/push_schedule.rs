//! Each baby's next push date: the first day on which the push planner may have something to
//! plan for it (a reminder, a stage, a catch-up or follow-up). The planner reads babies through
//! this index only.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_schedule")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub baby_id: i32,
    /// A calendar date in Asia/Shanghai; None when nothing will ever be planned again.
    pub next_push_date: Option<Date>,
    /// The day a message naming every dose still missing is next due (a catch-up after
    /// registration or a history change, then the follow-up cadence); None: none is.
    pub follow_up_on: Option<Date>,
    /// That message is a catch-up rather than a cadence follow-up.
    pub catch_up: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
