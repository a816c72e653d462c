//! Background workers.
pub mod follower_profiles;
pub mod points;
pub mod push;
