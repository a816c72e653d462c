//! The operators' door, `/admin/v1/...`: thin handlers over `service::staff`, authenticated by
//! the [`crate::auth::Operator`] extractor, described by the OpenAPI contract in [`spec`].
pub mod auth;
pub mod members;
pub mod membership;
pub mod operators;
pub mod pay_orders;
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
            resource("/admin/v1/memberships").route(web::get().to(membership::list_memberships)),
        )
        .service(
            resource("/admin/v1/members/{member_id}/membership")
                .route(web::get().to(membership::get_member_membership)),
        )
        .service(
            resource("/admin/v1/pay-orders/{order_id}")
                .route(web::get().to(pay_orders::get_pay_order)),
        )
        .service(
            resource("/admin/v1/pay-orders/{order_id}/refunds")
                .route(web::post().to(pay_orders::refund_pay_order)),
        )
        .service(resource(spec::SPEC_URL).route(web::get().to(spec::serve)));
}

fn resource(path: &str) -> Resource {
    super::door_resource(path, &spec::SPEC)
}
