//! The operators' door, `/admin/v1/...`: thin handlers over `service::staff`, authenticated by
//! the [`crate::auth::Operator`] extractor, described by the OpenAPI contract in [`spec`].
pub mod auth;
pub mod coupons;
pub mod events;
pub mod members;
pub mod membership;
pub mod merchants;
pub mod operators;
pub mod pay_orders;
pub mod points;
pub mod settlements;
pub mod shop;
pub mod spec;

use actix_web::{Resource, web};

pub use spec::AdminApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/admin/v1/auth/login").route(web::post().to(auth::login)))
        .service(resource("/admin/v1/me").route(web::get().to(auth::get_me)))
        .service(
            resource("/admin/v1/events")
                .route(web::get().to(events::list_events))
                .route(web::post().to(events::create_event)),
        )
        .service(
            resource("/admin/v1/events/{event_id}")
                .route(web::get().to(events::get_event))
                .route(web::put().to(events::edit_event)),
        )
        .service(
            resource("/admin/v1/events/{event_id}/publish")
                .route(web::post().to(events::publish_event)),
        )
        .service(
            resource("/admin/v1/events/{event_id}/cancel")
                .route(web::post().to(events::cancel_event)),
        )
        .service(
            resource("/admin/v1/events/{event_id}/bookings")
                .route(web::get().to(events::list_bookings)),
        )
        .service(
            resource("/admin/v1/events/{event_id}/bookings.csv")
                .route(web::get().to(events::bookings_csv)),
        )
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
        .service(
            resource("/admin/v1/merchants")
                .route(web::get().to(merchants::list_merchants))
                .route(web::post().to(merchants::create_merchant)),
        )
        .service(
            resource("/admin/v1/merchants/{merchant_id}/status")
                .route(web::post().to(merchants::set_merchant_status)),
        )
        .service(
            resource("/admin/v1/merchants/{merchant_id}/stores")
                .route(web::get().to(merchants::list_stores))
                .route(web::post().to(merchants::create_store)),
        )
        .service(
            resource("/admin/v1/merchants/{merchant_id}/staff")
                .route(web::post().to(merchants::create_staff)),
        )
        .service(
            resource("/admin/v1/coupon-templates")
                .route(web::get().to(coupons::list_templates))
                .route(web::post().to(coupons::create_template)),
        )
        .service(
            resource("/admin/v1/coupon-templates/{template_id}/approve")
                .route(web::post().to(coupons::approve_template)),
        )
        .service(
            resource("/admin/v1/coupon-templates/{template_id}/reject")
                .route(web::post().to(coupons::reject_template)),
        )
        .service(
            resource("/admin/v1/coupon-templates/{template_id}/pause")
                .route(web::post().to(coupons::pause_template)),
        )
        .service(
            resource("/admin/v1/coupon-templates/{template_id}/resume")
                .route(web::post().to(coupons::resume_template)),
        )
        .service(
            resource("/admin/v1/coupon-templates/{template_id}/end")
                .route(web::post().to(coupons::end_template)),
        )
        .service(
            resource("/admin/v1/coupon-templates/{template_id}/stock")
                .route(web::post().to(coupons::change_stock)),
        )
        .service(
            resource("/admin/v1/coupon-templates/{template_id}/grants")
                .route(web::post().to(coupons::grant)),
        )
        .service(
            resource("/admin/v1/settlements").route(web::get().to(settlements::list_statements)),
        )
        .service(
            resource("/admin/v1/settlements/lines").route(web::get().to(settlements::list_lines)),
        )
        .service(
            resource("/admin/v1/settlements/close").route(web::post().to(settlements::close_month)),
        )
        .service(
            resource("/admin/v1/settlements/adjustments")
                .route(web::post().to(settlements::create_adjustment)),
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
        .service(
            resource("/admin/v1/shop/categories")
                .route(web::get().to(shop::list_categories))
                .route(web::post().to(shop::create_category)),
        )
        .service(
            resource("/admin/v1/shop/products")
                .route(web::get().to(shop::list_products))
                .route(web::post().to(shop::create_product)),
        )
        .service(
            resource("/admin/v1/shop/products/{product_id}")
                .route(web::get().to(shop::get_product))
                .route(web::put().to(shop::edit_product)),
        )
        .service(
            resource("/admin/v1/shop/products/{product_id}/publish")
                .route(web::post().to(shop::publish_product)),
        )
        .service(
            resource("/admin/v1/shop/products/{product_id}/unpublish")
                .route(web::post().to(shop::unpublish_product)),
        )
        .service(
            resource("/admin/v1/shop/skus/{sku_id}/stock").route(web::put().to(shop::set_stock)),
        )
        .service(resource("/admin/v1/shop/orders").route(web::get().to(shop::list_orders)))
        .service(resource("/admin/v1/shop/orders/{order_id}").route(web::get().to(shop::get_order)))
        .service(
            resource("/admin/v1/shop/orders/{order_id}/ship")
                .route(web::post().to(shop::ship_order)),
        )
        .service(
            resource("/admin/v1/shop/orders/{order_id}/refund/approve")
                .route(web::post().to(shop::approve_refund)),
        )
        .service(
            resource("/admin/v1/shop/orders/{order_id}/refund/refuse")
                .route(web::post().to(shop::refuse_refund)),
        )
        .service(
            resource("/admin/v1/shop/flash-sales").route(web::post().to(shop::create_flash_sale)),
        )
        .service(
            resource("/admin/v1/shop/flash-sales/{sale_id}")
                .route(web::get().to(shop::get_flash_sale)),
        )
        .service(
            resource("/admin/v1/shop/mall/items").route(web::post().to(shop::create_mall_item)),
        )
        .service(
            resource("/admin/v1/shop/group-buys").route(web::post().to(shop::create_group_buy)),
        )
        .service(resource(spec::SPEC_URL).route(web::get().to(spec::serve)));
}

fn resource(path: &str) -> Resource {
    super::door_resource(path, &spec::SPEC)
}
