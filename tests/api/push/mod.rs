//! The push engine: planner, sender, crash recovery, its mini-program routes and the demo.
mod catch_up;
mod crash;
mod delivery;
mod demo;
mod lease;
mod outbox;
mod planner;
mod routes;
mod sender;
pub mod support;
