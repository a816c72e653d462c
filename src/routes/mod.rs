//! Thin actix handlers per door: parse, authorise, call one service function, map the result.
pub mod admin;
pub mod body;
pub mod contract;
pub mod merchant;
pub mod mp;
pub mod service;
mod staff;
pub mod wechat;

use actix_web::{Resource, web};

use crate::error::{AppError, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    service::configure(cfg);
    wechat::configure(cfg);
    mp::configure(cfg);
    merchant::configure(cfg);
    admin::configure(cfg);
}

/// A resource of a door: a method it does not take answers 405 with the usual error body.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(|| async {
        Err::<actix_web::HttpResponse, _>(AppError::new(
            ErrorCode::MethodNotAllowed,
            "this route does not take this method",
        ))
    }))
}
