//! A member's booking of 1-3 seats: `pending_payment` (a 15-minute hold) → `confirmed`, or
//! `released` (unpaid), or `cancelled`. `live_member_id` is the member while the booking is live
//! (unique per event), NULL after.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_bookings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub event_id: i32,
    /// NULL after the member's erasure.
    pub member_id: Option<i32>,
    pub live_member_id: Option<i32>,
    pub seats: i32,
    pub status: String,
    /// What the member pays for all seats (0: free).
    pub price_fen: i64,
    pub request_id: String,
    pub pay_order_id: Option<i32>,
    /// When an unpaid hold is released.
    pub hold_due_at: Option<DateTimeUtc>,
    /// The waitlist entry whose offer became this booking.
    pub waitlist_id: Option<i32>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub refund_fen: i64,
    pub checked_in_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
