//! Pure rules and value types: no database, no clock, no actix.
pub mod schedule;
