//! Commerce: payments (WeChat Pay orders, notifications, refunds), the paid membership, and
//! `checkout`, which routes a payment to what it bought.
pub mod checkout;
pub mod membership;
pub mod payments;
