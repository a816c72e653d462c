//! Conversations with WeChat users: inbound callback deliveries and their keyword replies, the
//! official account's menu, and the subscribe-message allowances members grant us.
pub mod inbound;
pub mod menu;
pub mod reply_rules;
pub mod subscriptions;
