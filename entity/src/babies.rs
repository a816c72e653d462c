//! A child whose schedule we follow. Visible to the members in `baby_caregivers`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "babies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub owner_member_id: i32,
    pub name: String,
    /// A calendar date in Asia/Shanghai.
    pub birth_date: Date,
    /// `female`, `male`, or None when not given.
    pub sex: Option<String>,
    /// Weeks born before the 40-week term; None for a term birth.
    pub preterm_weeks: Option<i32>,
    /// The next date on which a dose of the schedule changes status (shown to parents; the push
    /// planner keeps its own `push_schedule.next_push_date`); None when nothing will change any
    /// more.
    pub next_event_date: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
