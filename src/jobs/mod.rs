//! Background workers.
pub mod coupons;
pub mod follower_profiles;
pub mod inbound_retention;
pub mod payments;
pub mod points;
pub mod push;
pub mod shop;
