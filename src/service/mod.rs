//! Use-cases over the database. Handlers call one function here; these call `domain`, `entity`
//! and `wechat`.
pub mod babies;
pub mod channels;
pub mod feed;
pub mod followers;
pub mod inbound;
pub mod member_data;
pub mod members;
pub mod menu;
pub mod push;
pub mod reply_rules;
pub mod subscriptions;
pub mod support;
pub mod vaccinations;
