//! Background workers.
pub mod follower_profiles;
pub mod push;
