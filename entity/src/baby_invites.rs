//! Single-use, expiring codes by which an owner shares a baby with another caregiver.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "baby_invites")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub baby_id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub created_by: i32,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub accepted_by: Option<i32>,
    pub accepted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
