//! Conversations with WeChat users: inbound callback deliveries and their keyword replies, the
//! official account's menu, the subscribe-message allowances members grant us, and the outbox:
//! the one way out for every message we send (reminders, campaigns, and later coupons, orders
//! and membership notices).
pub mod inbound;
pub mod menu;
pub mod outbox;
pub mod reply_rules;
pub mod subscriptions;
