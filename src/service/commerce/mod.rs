//! Commerce: partner merchants and their coupons (onboarding, templates, claims, counter
//! redemption, settlement, reports); membership and payments as they come.
pub mod coupons;
pub mod merchants;
