//! Integration tests: the real app over HTTP on a fresh database per test (SQLite, or PostgreSQL
//! when TEST_DATABASE_URL is set) and, where WeChat is involved, a fake WeChat on loopback.
mod callback;
mod cli;
mod follower_profiles;
mod helpers;
mod mp_auth;
mod mp_babies;
mod mp_feed;
mod mp_privacy;
mod mp_spec;
mod mp_subscriptions;
mod mp_support;
mod mp_vaccinations;
mod operator_cli;
mod push_crash;
mod push_delivery;
mod push_demo;
mod push_planner;
mod push_routes;
mod push_support;
mod samples;
mod service;
mod wechat_outbound;
