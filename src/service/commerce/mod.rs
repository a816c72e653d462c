//! Commerce: partner merchants and their coupons (onboarding, templates, claims, counter
//! redemption, settlement, reports); payments (WeChat Pay orders, notifications, refunds); the
//! paid membership; and `checkout`, which routes a payment to what it bought.
pub mod checkout;
pub mod coupons;
pub mod membership;
pub mod merchants;
pub mod payments;
