//! Background workers.
pub mod coupons;
pub mod events;
pub mod follower_profiles;
pub mod payments;
pub mod points;
pub mod push;
