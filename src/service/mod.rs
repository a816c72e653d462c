//! Use-cases over the database, one folder per feature. Handlers call one function here; these
//! call `domain`, `entity` and `wechat`, and each other only along these arrows:
//! `care` → `audience` (consent) and `push` (schedule changes); `push` → `care`, `messaging`;
//! `messaging` → `audience`; `audience` → `care`, `messaging` (export and erasure); `staff` →
//! `audience` (support's audited read of a member's export).
pub mod audience;
pub mod care;
pub mod messaging;
pub mod privacy;
pub mod push;
pub mod staff;
pub mod support;
