//! Expert lectures and offline classes: operators' events, booking with capacity under parallel
//! requests, tier prices, paid holds released to the waitlist, cancellation, the waitlist's
//! order and offer window, check-in exactly once, privacy.
mod admin;
mod booking;
mod check_in;
mod paid;
mod support;
mod waitlist;
