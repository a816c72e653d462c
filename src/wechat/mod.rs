//! WeChat's protocols only: signatures, safe-mode crypto, callback XML and passive replies.
//! Knows nothing of members, babies or coupons.
pub mod api;
pub mod callback;
pub mod crypto;
pub mod message;
pub mod pay;
pub mod reply;
pub mod signature;
mod xml;
