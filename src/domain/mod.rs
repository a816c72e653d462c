//! Pure rules and value types: no database, no clock, no actix.
pub mod push;
pub mod schedule;
pub mod stages;
pub mod time;
