//! Append-only history of an event's seats: `booked`, `released`, `cancelled`, `offered`,
//! `offer_expired`, ... `idem_key` (unique) names what must happen once.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_seat_moves")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub event_id: i32,
    pub booking_id: Option<i32>,
    pub waitlist_id: Option<i32>,
    pub kind: String,
    /// Seats taken (+) or freed (-).
    pub seats: i32,
    #[sea_orm(unique)]
    pub idem_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
