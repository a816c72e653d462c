//! An expert lecture (online) or an offline class at a partner store. `seats_taken` counts the
//! seats of live bookings and open waitlist offers; it moves only through guarded updates
//! (`seats_taken + n <= capacity`) with an `event_seat_moves` row. Status `proposed` (a
//! merchant's) or `draft` → `published` → `closed` (booking over) → `finished`, or `cancelled`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// `online_lecture` or `offline_class`.
    pub kind: String,
    pub speaker: String,
    pub store_id: Option<i32>,
    pub merchant_id: Option<i32>,
    pub stream_url: Option<String>,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub min_age_days: Option<i32>,
    pub max_age_days: Option<i32>,
    pub capacity: i32,
    pub seats_taken: i32,
    pub price_fen: i64,
    /// A tier's price; None: the full price.
    pub basic_price_fen: Option<i64>,
    pub advanced_price_fen: Option<i64>,
    pub premium_price_fen: Option<i64>,
    /// Only members of a tier with a price may book.
    pub members_only: bool,
    pub booking_from: DateTimeUtc,
    pub booking_to: DateTimeUtc,
    pub cancel_before: DateTimeUtc,
    pub status: String,
    /// The merchant staff member who proposed it.
    pub proposed_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
