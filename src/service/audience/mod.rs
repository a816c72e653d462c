//! The people we reach: mini-program members (login, profile, consent) and
//! official-account followers with the acquisition channels that brought them, and the
//! membership tier a member holds.
pub mod channels;
pub mod consent;
pub mod followers;
pub mod members;
pub mod membership;
