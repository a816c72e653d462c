//! Thin actix handlers per door: parse, authorise, call one service function, map the result.
pub mod admin;
pub mod body;
pub mod contract;
pub mod merchant;
pub mod mp;
pub mod service;
mod staff;
pub mod wechat;

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, Resource, ResponseError, web};
use utoipa::openapi::OpenApi;

use crate::error::{AppError, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    service::configure(cfg);
    wechat::configure(cfg);
    mp::configure(cfg);
    merchant::configure(cfg);
    admin::configure(cfg);
}

/// A resource of a door: a method it does not take answers 405 with the usual error body and,
/// in `Allow`, the methods the door's contract lists for it.
fn door_resource(path: &str, spec: &'static LazyLock<OpenApi>) -> Resource {
    web::resource(path).default_service(web::to(move |req: HttpRequest| async move {
        let mut response = AppError::new(
            ErrorCode::MethodNotAllowed,
            "this route does not take this method",
        )
        .error_response();
        if let Some(allow) = req
            .match_pattern()
            .and_then(|pattern| contract::allowed_methods(spec, &pattern))
            .and_then(|methods| HeaderValue::from_str(&methods).ok())
        {
            response.headers_mut().insert(header::ALLOW, allow);
        }
        response
    }))
}
