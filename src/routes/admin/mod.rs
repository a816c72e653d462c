//! The operators' door, `/admin/v1/...`: thin handlers over `service::staff`, authenticated by
//! the [`crate::auth::Operator`] extractor, described by the OpenAPI contract in [`spec`].
pub mod auth;
pub mod members;
pub mod operators;
pub mod points;
pub mod spec;

use actix_web::{Resource, web};

pub use spec::AdminApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/admin/v1/auth/login").route(web::post().to(auth::login)))
        .service(resource("/admin/v1/me").route(web::get().to(auth::get_me)))
        .service(
            resource("/admin/v1/operators")
                .route(web::get().to(operators::list_operators))
                .route(web::post().to(operators::create_operator)),
        )
        .service(
            resource("/admin/v1/operators/{operator_id}/disable")
                .route(web::post().to(operators::disable_operator)),
        )
        .service(
            resource("/admin/v1/operators/{operator_id}/enable")
                .route(web::post().to(operators::enable_operator)),
        )
        .service(
            resource("/admin/v1/members/{member_id}").route(web::get().to(members::get_member)),
        )
        .service(
            resource("/admin/v1/points/earning-rules")
                .route(web::get().to(points::get_rules))
                .route(web::put().to(points::put_rules)),
        )
        .service(
            resource("/admin/v1/points/levels")
                .route(web::get().to(points::get_levels))
                .route(web::put().to(points::put_levels)),
        )
        .service(
            resource("/admin/v1/points/campaigns")
                .route(web::get().to(points::list_campaigns))
                .route(web::post().to(points::create_campaign)),
        )
        .service(
            resource("/admin/v1/points/campaigns/{campaign_id}/end")
                .route(web::post().to(points::end_campaign)),
        )
        .service(
            resource("/admin/v1/members/{member_id}/points/ledger")
                .route(web::get().to(points::member_ledger)),
        )
        .service(
            resource("/admin/v1/members/{member_id}/points")
                .route(web::post().to(points::adjust_points)),
        )
        .service(resource(spec::SPEC_URL).route(web::get().to(spec::serve)));
}

fn resource(path: &str) -> Resource {
    super::door_resource(path, &spec::SPEC)
}
