//! Integration tests: the real app over HTTP on a fresh database per test (SQLite, or PostgreSQL
//! when TEST_DATABASE_URL is set) and, where WeChat is involved, a fake WeChat on loopback.
//! Folders mirror the doors (`mp`, `wechat`, `admin`, `merchant`) and the command line (`cli`);
//! `push` is the engine; `coupons` spans three doors; `points` spans both doors' points routes,
//! the service and its job; `pay` is WeChat Pay and the membership; `events` spans the three
//! doors' lectures and classes.
mod admin;
mod cli;
mod coupons;
mod events;
mod helpers;
mod layout;
mod merchant;
mod mp;
mod pay;
mod points;
mod push;
mod service;
mod shop;
mod wechat;
