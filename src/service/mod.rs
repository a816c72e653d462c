//! Use-cases over the database, one folder per feature. Handlers call one function here; these
//! call `domain`, `entity` and `wechat`, and each other only along these arrows:
//! `care` → `audience` (consent) and `push` (schedule changes); `push` → `care`, `messaging`;
//! `messaging` → `audience`; `audience` → `care`, `messaging` (export and erasure). Every change of
//! a balance goes through [`ledger`].
pub mod audience;
pub mod care;
pub mod ledger;
pub mod messaging;
pub mod push;
pub mod support;
