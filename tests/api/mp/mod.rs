//! The mini-program door, `/api/v1`.
mod auth;
mod babies;
mod feed;
mod privacy;
mod spec;
mod subscriptions;
pub mod support;
mod vaccinations;
