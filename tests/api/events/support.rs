//! Harness for events: the pay-enabled mini-program app (see `pay::support`), an operator, a
//! merchant with a store, its owner and a clerk; events created and published over the admin
//! door; members with a membership tier; the events job run by hand.

use babyvax::clock::SharedClock;
use babyvax::domain::push::QuietHours;
use babyvax::jobs::events::{Report, run_once};
use chrono::Duration;
use entity::{event_bookings, events, membership_periods, pay_orders, push_outbox};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};

use crate::admin::support::{Staff, operator};
use crate::coupons::support::{Merchant, onboard};
use crate::mp::support::{Member, MpApp};
use crate::pay::support::PayApp;

pub struct EventsApp {
    pub pay: PayApp,
    pub ops: Staff,
    pub merchant: Merchant,
}

/// An offline class at the merchant's store, 10 seats, free, on 2026-03-20 10:00 Shanghai
/// (the harness's today is 2026-03-10 10:00), booking until the day before, cancel two days
/// before; `changes` applied (null removes a field).
pub fn event_body(store_id: i64, changes: Value) -> Value {
    let mut body = json!({
        "title": "辅食添加实操课",
        "description": "营养师带家长动手做第一口辅食",
        "kind": "offline_class",
        "speaker": "李营养师",
        "store_id": store_id,
        "starts_at": "2026-03-20T02:00:00Z",
        "ends_at": "2026-03-20T04:00:00Z",
        "baby_age_days": {"min": 150, "max": 240},
        "capacity": 10,
        "price_fen": 0,
        "tier_prices": {"basic": null, "advanced": null, "premium": null},
        "booking_from": "2026-03-01T00:00:00Z",
        "booking_to": "2026-03-19T16:00:00Z",
        "cancel_before": "2026-03-18T16:00:00Z",
    });
    if let (Some(body), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
        for (k, v) in changes {
            if v.is_null() {
                body.remove(k);
            } else {
                body.insert(k.clone(), v.clone());
            }
        }
    }
    body
}

impl EventsApp {
    pub async fn open() -> EventsApp {
        let pay = PayApp::spawn().await;
        let ops = operator(&pay.mp, "ops.events", "operator").await;
        let merchant = onboard(&pay.mp, &ops, "ev", 500).await;
        EventsApp { pay, ops, merchant }
    }

    pub fn mp(&self) -> &MpApp {
        &self.pay.mp
    }

    pub async fn finish(self) {
        self.pay.finish().await;
    }

    /// Creates and publishes an event; answers its id.
    pub async fn event(&self, changes: Value) -> i64 {
        let (s, e) = self
            .mp()
            .post(
                "/admin/v1/events",
                &self.ops.token,
                event_body(self.merchant.store_id, changes),
            )
            .await;
        assert_eq!(s, 201, "{e}");
        assert_eq!(e["status"], "draft");
        let id = e["id"].as_i64().unwrap();
        let (s, e) = self
            .mp()
            .post(
                &format!("/admin/v1/events/{id}/publish"),
                &self.ops.token,
                json!({}),
            )
            .await;
        assert_eq!((s, e["status"].as_str()), (200, Some("published")), "{e}");
        id
    }

    /// A logged-in member holding `tier` (basic, advanced, premium) for a year, or none.
    pub async fn member(&self, openid: &str, tier: Option<&str>) -> Member {
        let member = self.mp().login(openid).await;
        if let Some(tier) = tier {
            let now = self.mp().now();
            membership_periods::ActiveModel {
                member_id: Set(Some(member.id as i32)),
                order_id: Set(None),
                plan_id: Set(format!("{tier}_12m")),
                tier: Set(tier.to_owned()),
                starts_at: Set(now - Duration::days(1)),
                ends_at: Set(now + Duration::days(365)),
                paid_fen: Set(0),
                state: Set("active".to_owned()),
                reminded_early_at: Set(None),
                reminded_last_at: Set(None),
                coupon_packs_granted: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&self.mp().app.db)
            .await
            .unwrap();
        }
        member
    }

    pub async fn book(
        &self,
        member: &Member,
        event: i64,
        seats: i64,
        request_id: &str,
    ) -> (u16, Value) {
        self.mp()
            .post(
                &format!("/api/v1/events/{event}/bookings"),
                &member.token,
                json!({"seats": seats, "request_id": request_id}),
            )
            .await
    }

    pub async fn join(&self, member: &Member, event: i64, seats: i64) -> (u16, Value) {
        self.mp()
            .post(
                &format!("/api/v1/events/{event}/waitlist"),
                &member.token,
                json!({"seats": seats}),
            )
            .await
    }

    pub async fn cancel(&self, member: &Member, booking: i64) -> (u16, Value) {
        self.mp()
            .delete(&format!("/api/v1/bookings/{booking}"), &member.token)
            .await
    }

    pub async fn detail(&self, member: &Member, event: i64) -> Value {
        let (s, b) = self
            .mp()
            .get(&format!("/api/v1/events/{event}"), &member.token)
            .await;
        assert_eq!(s, 200, "{b}");
        b
    }

    pub async fn event_row(&self, event: i64) -> events::Model {
        events::Entity::find_by_id(event as i32)
            .one(&self.mp().app.db)
            .await
            .unwrap()
            .unwrap()
    }

    pub async fn bookings(&self, event: i64) -> Vec<event_bookings::Model> {
        event_bookings::Entity::find()
            .filter(event_bookings::Column::EventId.eq(event as i32))
            .order_by_asc(event_bookings::Column::Id)
            .all(&self.mp().app.db)
            .await
            .unwrap()
    }

    pub async fn pay_order(&self, id: i32) -> pay_orders::Model {
        pay_orders::Entity::find_by_id(id)
            .one(&self.mp().app.db)
            .await
            .unwrap()
            .unwrap()
    }

    /// Outbox rows whose dedup key starts with `prefix`.
    pub async fn outbox(&self, prefix: &str) -> Vec<push_outbox::Model> {
        push_outbox::Entity::find()
            .filter(push_outbox::Column::DedupKey.starts_with(prefix))
            .order_by_asc(push_outbox::Column::Id)
            .all(&self.mp().app.db)
            .await
            .unwrap()
    }

    pub fn clock(&self) -> SharedClock {
        self.mp().app.clock.clone()
    }

    /// One pass of the events job, as `serve` runs it.
    pub async fn run_job(&self) -> Report {
        let pay = self.pay.pay_client();
        run_once(
            &self.mp().app.db,
            Some(&pay),
            QuietHours::default(),
            &self.clock(),
        )
        .await
        .unwrap()
    }

    pub fn advance(&self, by: Duration) {
        self.mp().app.clock.advance(by);
    }
}

/// Runs `n` futures at once and collects their results in order.
pub async fn all<F, T>(futures: Vec<F>) -> Vec<T>
where
    F: std::future::Future<Output = T>,
{
    futures_util::future::join_all(futures).await
}
