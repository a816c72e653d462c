//! Partner merchants' coupons across the three doors: onboarding, templates and approval,
//! claims (and their races), codes, counter redemption (and its races), settlement, reports,
//! grants and the parents' messages.
mod claims;
mod redemptions;
mod settlement;
pub mod support;
mod templates;
