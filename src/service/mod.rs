//! Use-cases over the database. Handlers call one function here; these call `domain`, `entity`
//! and `wechat`.
pub mod babies;
pub mod feed;
pub mod followers;
pub mod inbound;
pub mod member_data;
pub mod members;
pub mod reply_rules;
pub mod subscriptions;
pub mod support;
pub mod vaccinations;
