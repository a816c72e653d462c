//! The people we reach: mini-program members (login, profile, consent) and
//! official-account followers with the acquisition channels that brought them.
pub mod channels;
pub mod consent;
pub mod followers;
pub mod members;
