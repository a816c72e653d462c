//! Thin actix handlers per door: parse, authorise, call one service function, map the result.
pub mod mp;
pub mod official_account;
pub mod service;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    service::configure(cfg);
    official_account::configure(cfg);
    mp::configure(cfg);
}
