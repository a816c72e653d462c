//! One check-in per booking, by a clerk (or owner) of the event's merchant.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_check_ins")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub booking_id: i32,
    pub event_id: i32,
    pub merchant_id: i32,
    pub store_id: Option<i32>,
    pub staff_id: i32,
    pub request_id: String,
    pub checked_in_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
