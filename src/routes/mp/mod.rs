//! The mini-program door, `/api/v1/...`: thin handlers over `service`, authenticated by the
//! bearer JWT of [`crate::auth`], described by the OpenAPI contract in [`spec`].
pub mod auth;
pub mod babies;
pub mod content;
pub mod coupons;
pub mod events;
pub mod me;
pub mod membership;
pub mod pay_orders;
pub mod points;
pub mod push;
pub mod shop;
pub mod spec;
pub mod subscriptions;
pub mod vaccinations;

use actix_web::{Resource, web};

pub use spec::{ApiErrorBody, MpApiDoc};

fn resource(path: &str) -> Resource {
    super::door_resource(path, &spec::SPEC)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/v1/auth/login").route(web::post().to(auth::login)))
        .service(
            resource("/api/v1/me")
                .route(web::get().to(me::get_me))
                .route(web::put().to(me::update_me))
                .route(web::delete().to(me::erase_me)),
        )
        .service(resource("/api/v1/membership/plans").route(web::get().to(membership::list_plans)))
        .service(resource("/api/v1/membership").route(web::get().to(membership::get_membership)))
        .service(
            resource("/api/v1/membership/orders").route(web::post().to(membership::create_order)),
        )
        .service(
            resource("/api/v1/pay-orders/{order_id}")
                .route(web::get().to(pay_orders::get_pay_order)),
        )
        .service(resource("/api/v1/me/phone").route(web::post().to(me::set_phone)))
        .service(
            resource("/api/v1/me/consent").route(web::post().to(me::consent_to_privacy_policy)),
        )
        .service(resource("/api/v1/me/export").route(web::get().to(me::export_my_data)))
        .service(
            resource("/api/v1/me/push-preferences")
                .route(web::get().to(push::get_push_preferences))
                .route(web::put().to(push::set_push_preferences)),
        )
        .service(resource("/api/v1/me/undelivered").route(web::get().to(push::list_undelivered)))
        .service(
            resource("/api/v1/babies")
                .route(web::get().to(babies::list_babies))
                .route(web::post().to(babies::create_baby)),
        )
        .service(
            resource("/api/v1/babies/{baby_id}")
                .route(web::get().to(babies::get_baby))
                .route(web::put().to(babies::update_baby))
                .route(web::delete().to(babies::delete_baby)),
        )
        .service(
            resource("/api/v1/babies/{baby_id}/invites")
                .route(web::post().to(babies::create_invite)),
        )
        .service(
            resource("/api/v1/babies/{baby_id}/caregivers")
                .route(web::get().to(babies::list_caregivers)),
        )
        .service(
            resource("/api/v1/babies/{baby_id}/caregivers/{member_id}")
                .route(web::delete().to(babies::remove_caregiver)),
        )
        .service(
            resource("/api/v1/babies/{baby_id}/doses")
                .route(web::get().to(vaccinations::list_doses))
                .route(web::post().to(vaccinations::add_dose)),
        )
        .service(
            resource("/api/v1/babies/{baby_id}/doses/{dose_id}")
                .route(web::put().to(vaccinations::correct_dose))
                .route(web::delete().to(vaccinations::delete_dose)),
        )
        .service(
            resource("/api/v1/babies/{baby_id}/opt-ins")
                .route(web::put().to(vaccinations::set_opt_ins)),
        )
        .service(
            resource("/api/v1/babies/{baby_id}/schedule")
                .route(web::get().to(vaccinations::get_schedule)),
        )
        .service(resource("/api/v1/babies/{baby_id}/feed").route(web::get().to(content::baby_feed)))
        .service(resource("/api/v1/invites/accept").route(web::post().to(babies::accept_invite)))
        .service(resource("/api/v1/vaccines").route(web::get().to(vaccinations::list_vaccines)))
        .service(
            resource("/api/v1/articles/{article_id}").route(web::get().to(content::get_article)),
        )
        .service(
            resource("/api/v1/subscriptions").route(web::get().to(subscriptions::list_allowances)),
        )
        .service(
            resource("/api/v1/subscriptions/consents")
                .route(web::post().to(subscriptions::report_consents)),
        )
        .service(
            resource("/api/v1/coupons/available").route(web::get().to(coupons::list_available)),
        )
        .service(resource("/api/v1/coupons/claims").route(web::post().to(coupons::claim)))
        .service(resource("/api/v1/coupons").route(web::get().to(coupons::list_coupons)))
        .service(
            resource("/api/v1/coupons/{coupon_id}/code")
                .route(web::post().to(coupons::create_code)),
        )
        .service(resource("/api/v1/events").route(web::get().to(events::list_events)))
        .service(resource("/api/v1/events/{event_id}").route(web::get().to(events::get_event)))
        .service(resource("/api/v1/events/{event_id}/bookings").route(web::post().to(events::book)))
        .service(
            resource("/api/v1/events/{event_id}/waitlist")
                .route(web::post().to(events::join_waitlist)),
        )
        .service(resource("/api/v1/waitlist").route(web::get().to(events::list_waitlist)))
        .service(
            resource("/api/v1/waitlist/{entry_id}").route(web::delete().to(events::leave_waitlist)),
        )
        .service(
            resource("/api/v1/waitlist/{entry_id}/accept")
                .route(web::post().to(events::accept_offer)),
        )
        .service(resource("/api/v1/bookings").route(web::get().to(events::list_bookings)))
        .service(
            resource("/api/v1/bookings/{booking_id}")
                .route(web::delete().to(events::cancel_booking)),
        )
        .service(
            resource("/api/v1/bookings/{booking_id}/code")
                .route(web::post().to(events::create_check_in_code)),
        )
        .service(resource("/api/v1/points").route(web::get().to(points::get_points)))
        .service(resource("/api/v1/points/ledger").route(web::get().to(points::get_ledger)))
        .service(resource("/api/v1/points/check-ins").route(web::post().to(points::check_in)))
        .service(resource("/api/v1/points/tasks").route(web::get().to(points::get_tasks)))
        .service(resource("/api/v1/shop/categories").route(web::get().to(shop::list_categories)))
        .service(resource("/api/v1/shop/products").route(web::get().to(shop::list_products)))
        .service(
            resource("/api/v1/shop/products/{product_id}").route(web::get().to(shop::get_product)),
        )
        .service(
            resource("/api/v1/shop/recommendations")
                .route(web::get().to(shop::get_recommendations)),
        )
        .service(
            resource("/api/v1/shop/orders")
                .route(web::get().to(shop::list_orders))
                .route(web::post().to(shop::create_order)),
        )
        .service(resource("/api/v1/shop/orders/{order_id}").route(web::get().to(shop::get_order)))
        .service(
            resource("/api/v1/shop/orders/{order_id}/cancel")
                .route(web::post().to(shop::cancel_order)),
        )
        .service(
            resource("/api/v1/shop/orders/{order_id}/receive")
                .route(web::post().to(shop::receive_order)),
        )
        .service(
            resource("/api/v1/shop/orders/{order_id}/refund-request")
                .route(web::post().to(shop::request_refund)),
        )
        .service(resource("/api/v1/shop/flash-sales").route(web::get().to(shop::list_flash_sales)))
        .service(resource("/api/v1/shop/mall/items").route(web::get().to(shop::list_mall_items)))
        .service(resource("/api/v1/shop/mall/exchanges").route(web::post().to(shop::exchange)))
        .service(resource("/api/v1/shop/group-buys").route(web::get().to(shop::list_group_buys)))
        .service(resource("/api/v1/shop/groups/{group_id}").route(web::get().to(shop::get_group)));
    spec::configure(cfg);
}
