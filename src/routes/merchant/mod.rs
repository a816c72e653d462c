//! The merchant staff's door, `/merchant/v1/...`: thin handlers over `service::staff`,
//! authenticated by the [`crate::auth::MerchantStaff`] extractor, described by the OpenAPI
//! contract in [`spec`].
pub mod auth;
pub mod spec;

use actix_web::{Resource, web};

pub use spec::MerchantApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/merchant/v1/auth/login").route(web::post().to(auth::login)))
        .service(resource("/merchant/v1/me").route(web::get().to(auth::get_me)))
        .service(resource(spec::SPEC_URL).route(web::get().to(spec::serve)));
}

fn resource(path: &str) -> Resource {
    super::door_resource(path, &spec::SPEC)
}
