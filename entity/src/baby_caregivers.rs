//! Who may see and edit a baby: its owner (role `owner`) and the caregivers who accepted an invite.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "baby_caregivers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub baby_id: i32,
    pub member_id: i32,
    /// `owner` or `caregiver`.
    pub role: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
