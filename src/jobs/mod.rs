//! Background workers.
pub mod follower_profiles;
pub mod payments;
pub mod push;
