//! sea-orm entities, one file per table. The schema itself lives in the `migration` crate.
pub mod articles;
pub mod babies;
pub mod baby_caregivers;
pub mod baby_invites;
pub mod baby_opt_ins;
pub mod channels;
pub mod doses;
pub mod follower_events;
pub mod followers;
pub mod inbound_messages;
pub mod members;
pub mod privacy_consents;
pub mod reply_rules;
pub mod subscription_allowances;
pub mod subscription_events;
pub mod wechat_access_tokens;
