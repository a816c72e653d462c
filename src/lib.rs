//! babyvax: backend of a WeChat official account and mini-program for parents of young children.
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod fake_wechat;
pub mod jobs;
pub mod routes;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod wechat;
