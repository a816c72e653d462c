//! The merchant staff's door, `/merchant/v1/...`: thin handlers over `service::staff`,
//! authenticated by the [`crate::auth::MerchantStaff`] extractor, described by the OpenAPI
//! contract in [`spec`].
pub mod auth;
pub mod coupons;
pub mod event_check_ins;
pub mod redemptions;
pub mod reports;
pub mod spec;

use actix_web::{Resource, web};

pub use spec::MerchantApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/merchant/v1/auth/login").route(web::post().to(auth::login)))
        .service(resource("/merchant/v1/me").route(web::get().to(auth::get_me)))
        .service(
            resource("/merchant/v1/coupon-templates")
                .route(web::get().to(coupons::list_templates))
                .route(web::post().to(coupons::create_template)),
        )
        .service(
            resource("/merchant/v1/coupon-templates/{template_id}")
                .route(web::get().to(coupons::get_template))
                .route(web::put().to(coupons::edit_template)),
        )
        .service(
            resource("/merchant/v1/coupon-templates/{template_id}/submit")
                .route(web::post().to(coupons::submit_template)),
        )
        .service(
            resource("/merchant/v1/coupon-templates/{template_id}/pause")
                .route(web::post().to(coupons::pause_template)),
        )
        .service(
            resource("/merchant/v1/coupon-templates/{template_id}/resume")
                .route(web::post().to(coupons::resume_template)),
        )
        .service(
            resource("/merchant/v1/coupon-templates/{template_id}/end")
                .route(web::post().to(coupons::end_template)),
        )
        .service(
            resource("/merchant/v1/redemptions/preview")
                .route(web::post().to(redemptions::preview)),
        )
        .service(resource("/merchant/v1/redemptions").route(web::post().to(redemptions::redeem)))
        .service(
            resource("/merchant/v1/event-check-ins")
                .route(web::post().to(event_check_ins::check_in)),
        )
        .service(
            resource("/merchant/v1/events")
                .route(web::get().to(event_check_ins::list_events))
                .route(web::post().to(event_check_ins::propose_event)),
        )
        .service(resource("/merchant/v1/reports").route(web::get().to(reports::get_report)))
        .service(resource("/merchant/v1/reports.csv").route(web::get().to(reports::get_report_csv)))
        .service(resource(spec::SPEC_URL).route(web::get().to(spec::serve)));
}

fn resource(path: &str) -> Resource {
    super::door_resource(path, &spec::SPEC)
}
