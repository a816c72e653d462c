//! sea-orm entities, one file per table. The schema itself lives in the `migration` crate.
pub mod channels;
pub mod follower_events;
pub mod followers;
pub mod inbound_messages;
pub mod reply_rules;
pub mod wechat_access_tokens;
