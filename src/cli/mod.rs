//! Command-line subcommands too large for `main.rs`: `push run`, `push status`, `demo`.
pub mod demo;
pub mod push;
pub mod seed;
