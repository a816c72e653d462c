//! Pure rules and value types: no database, no clock, no actix.
pub mod coupons;
pub mod membership;
pub mod points;
pub mod push;
pub mod schedule;
pub mod staff;
pub mod stages;
pub mod time;
