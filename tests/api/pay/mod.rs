//! WeChat Pay and the paid membership, through HTTP against the fake WeChat Pay.
mod flow;
mod notify;
mod refunds;
pub mod support;
