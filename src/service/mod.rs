//! Use-cases over the database. Handlers call one function here; these call `domain`, `entity`
//! and `wechat`.
pub mod followers;
pub mod inbound;
pub mod reply_rules;
