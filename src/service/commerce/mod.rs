//! Commerce: partner merchants and their coupons (onboarding, templates, claims, counter
//! redemption, settlement, reports); payments (WeChat Pay orders, notifications, refunds); the
//! paid membership; the shop (catalogue, orders, flash sales, points mall); expert lectures
//! and offline classes (`events`: bookings, waitlists, check-in); and `checkout`, which routes
//! a payment to what it bought.
pub mod checkout;
pub mod coupons;
pub mod events;
pub mod membership;
pub mod merchants;
pub mod payments;
pub mod shop;
