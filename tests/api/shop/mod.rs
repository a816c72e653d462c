//! The shop: the catalogue and recommendations, orders (member prices, platform coupons, points,
//! one transaction, timeout cancel, refunds), flash sales and the points mall, over HTTP against
//! the fake WeChat Pay; the races with real parallel requests.
mod catalogue;
mod flash;
mod groups;
mod mall;
mod orders;
pub mod support;
