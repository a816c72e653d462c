//! The merchant staff's door, `/merchant/v1` (harness shared with the admin door).
mod login;
mod spec;
