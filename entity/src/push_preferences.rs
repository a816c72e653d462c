//! A member's push preferences; no row means the defaults (everything on, default quiet hours).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: i32,
    pub due_soon: bool,
    pub due_today: bool,
    pub overdue: bool,
    pub stage: bool,
    pub campaign: bool,
    pub stop_all: bool,
    /// Minutes after local midnight (Asia/Shanghai); None: the configured default.
    pub quiet_start_minute: Option<i32>,
    pub quiet_end_minute: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
