//! WeChat's door (the callback) and our calls out to WeChat's server API.
mod callback;
mod follower_profiles;
mod group_commit;
mod outbound;
mod samples;
