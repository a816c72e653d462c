//! The push engine: planner, sender, crash recovery, its mini-program routes and the demo.
mod crash;
mod delivery;
mod demo;
mod planner;
mod routes;
pub mod support;
