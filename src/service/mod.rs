//! Use-cases over the database, one folder per feature. Handlers call one function here; these
//! call `domain`, `entity` and `wechat`, and each other only along these arrows (no cycles;
//! `tests/api/layout.rs` checks):
//!
//! - `care` → `audience` (consent), `messaging` (the outbox rows a schedule change narrows)
//! - `messaging` → `audience` (followers, members)
//! - `push` → `care` (schedules), `messaging` (outbox, subscribe allowances)
//! - `privacy` → `audience`, `care`, `messaging`, `commerce`, `points` (export and erasure span
//!   them), `staff` (the audit row of support's read of a member)
//! - `commerce` → `messaging` (the outbox: coupon messages, renewal reminders), `staff` (audit,
//!   merchant staff accounts), `points` (a coupon's points cost), `audience` (members, tiers),
//!   `care` (the shop's recommendations read a baby's schedule and stages)
//! - `staff` → `audience`, `points` (operators' adjustments and points data, audited)
//! - `points` → `audience` (the membership tier); its callers credit and spend where the action
//!   happens: `care`, `messaging`, `commerce`
//! - `care` → `points`, `messaging` → `points`
//! - `audience` → none; `support` (shared helpers) → none
//!
//! Every change of a balance goes through [`ledger`].
pub mod audience;
pub mod care;
pub mod commerce;
pub mod ledger;
pub mod messaging;
pub mod points;
pub mod privacy;
pub mod push;
pub mod staff;
pub mod support;
