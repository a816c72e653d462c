//! The shop (宝贝好物小店): the catalogue ([`catalogue`]) and what is recommended for a baby
//! ([`recommend`]); orders ([`orders`]) and what happens to them after payment ([`lifecycle`]);
//! flash sales ([`flash`]), group buys ([`groups`]) and the points mall ([`mall`]).
//!
//! What must hold under parallel requests is held by the database through
//! [`crate::service::ledger`]: an order's creation appends its `created` event and, in the same
//! transaction, moves every SKU's stock down only while it stays at or above zero (or the flash
//! sale's stock and the member's guarded purchase counter), moves its platform coupon
//! `unused → locked` and spends its points; any refusal writes nothing. Every later change of
//! an order is a guarded transition (`WHERE status = <from>`) plus an event row keyed by what
//! must happen once (`paid:<id>`, `cancel:<id>`, ...), so a job run twice, on two instances, or
//! a repeated notification changes it once.
//!
//! The rules as data: [`POINTS_PER_YUAN`], [`MAX_POINTS_SHARE_BPS`], [`PAY_WITHIN`],
//! [`AUTO_CONFIRM_AFTER`].

pub mod catalogue;
pub mod flash;
pub mod groups;
pub mod lifecycle;
pub mod mall;
pub mod orders;
pub mod recommend;

use chrono::Duration;

pub use lifecycle::Fulfilment;

/// `pay_orders.purpose` of shop orders (`reference` is the shop order id).
pub const PURPOSE: &str = "shop";
/// 100 points = 1 yuan (100 fen).
pub const POINTS_PER_YUAN: i64 = 100;
/// Points pay at most this share (basis points) of what is left after the coupon.
pub const MAX_POINTS_SHARE_BPS: i64 = 5_000;
/// Unpaid orders are cancelled this long after they were made (WeChat Pay's `time_expire` is
/// the same instant, so WeChat stops taking the payment when the stock is released).
pub const PAY_WITHIN: Duration = Duration::minutes(30);
/// Shipped orders the parent has not confirmed are received after this.
pub const AUTO_CONFIRM_AFTER: Duration = Duration::days(10);

/// Product statuses, as stored.
pub mod product_status {
    pub const DRAFT: &str = "draft";
    pub const ON_SALE: &str = "on_sale";
    pub const OFF_SALE: &str = "off_sale";
}

/// Order statuses, as stored.
pub mod status {
    pub const PENDING_PAYMENT: &str = "pending_payment";
    pub const PAID: &str = "paid";
    /// A group order paid, waiting for its group to fill.
    pub const AWAITING_GROUP: &str = "awaiting_group";
    pub const SHIPPED: &str = "shipped";
    pub const RECEIVED: &str = "received";
    pub const CANCELLED: &str = "cancelled";
    pub const REFUND_REQUESTED: &str = "refund_requested";
    pub const REFUNDING: &str = "refunding";
    pub const REFUNDED: &str = "refunded";
}
