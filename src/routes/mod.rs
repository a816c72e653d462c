//! Thin actix handlers per door: parse, authorise, call one service function, map the result.
pub mod body;
pub mod contract;
pub mod mp;
pub mod service;
pub mod wechat;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    service::configure(cfg);
    wechat::configure(cfg);
    mp::configure(cfg);
}
