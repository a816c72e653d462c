//! The operators' door, `/admin/v1`, and what all three token doors share (tokens of one door
//! refused at the others).
mod doors;
mod login;
mod members;
mod operators;
mod spec;
pub mod support;
