//! WeChat's own door: the official-account callback (`/wechat/callback`); WeChat Pay's
//! notifications join it when payments land.
pub mod callback;
pub mod pay;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    callback::configure(cfg);
    pay::configure(cfg);
}
