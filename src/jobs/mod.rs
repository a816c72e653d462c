//! Background workers.
pub mod follower_profiles;
