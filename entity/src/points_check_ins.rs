//! Daily check-ins: one per member and Asia/Shanghai day (a unique index).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "points_check_ins")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub member_id: i32,
    pub day: Date,
    /// 1-based day of the streak ladder.
    pub streak_day: i32,
    /// Points credited (after multipliers and caps).
    pub points: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
