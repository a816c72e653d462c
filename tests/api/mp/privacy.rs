//! Export of everything a member has, and erasure with counts, leaving other families' babies
//! alone and nothing of the member behind.

use babyvax::routes::mp::MpApiDoc;
use entity::{
    babies, baby_caregivers, baby_invites, baby_opt_ins, doses, members, privacy_consents,
    subscription_allowances, subscription_events,
};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use utoipa::OpenApi;

use crate::mp::support::{Member, MpApp, error};

struct Families {
    /// Owns `own_baby`, is a caregiver of `other_baby`.
    leaving: Member,
    /// Owns `other_baby`, is a caregiver of `own_baby`.
    staying: Member,
    own_baby: i64,
    other_baby: i64,
}

async fn two_families(mp: &MpApp) -> Families {
    let leaving = mp.parent("o-leaving").await;
    let staying = mp.parent("o-staying").await;
    let own_baby = mp.add_baby(&leaving, "走的宝宝", "2025-09-15").await;
    let other_baby = mp.add_baby(&staying, "留的宝宝", "2025-10-01").await;
    for (who, baby, other) in [
        (&leaving, own_baby, &staying),
        (&staying, other_baby, &leaving),
    ] {
        let (_, invite) = mp
            .post(
                &format!("/api/v1/babies/{baby}/invites"),
                &who.token,
                json!({}),
            )
            .await;
        let (s, b) = mp
            .post(
                "/api/v1/invites/accept",
                &other.token,
                json!({"code": invite["code"]}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    // An unused invite too.
    mp.post(
        &format!("/api/v1/babies/{own_baby}/invites"),
        &leaving.token,
        json!({}),
    )
    .await;
    assert_eq!(
        mp.add_dose(&leaving, own_baby, "HepB", 1, "2025-09-15")
            .await
            .0,
        201
    );
    assert_eq!(
        mp.add_dose(&staying, own_baby, "BCG", 1, "2025-09-15")
            .await
            .0,
        201
    );
    assert_eq!(
        mp.add_dose(&leaving, other_baby, "HepB", 1, "2025-10-01")
            .await
            .0,
        201
    );
    assert_eq!(
        mp.add_dose(&staying, other_baby, "BCG", 1, "2025-10-01")
            .await
            .0,
        201
    );
    let (s, _) = mp
        .put(
            &format!("/api/v1/babies/{own_baby}/opt-ins"),
            &leaving.token,
            json!({"vaccines": ["PCV13"]}),
        )
        .await;
    assert_eq!(s, 200);
    mp.fake.add_phone_code("pc", "13900000000");
    assert_eq!(
        mp.post("/api/v1/me/phone", &leaving.token, json!({"code": "pc"}))
            .await
            .0,
        200
    );
    for results in [
        json!({"t1": "accept", "t2": "reject"}),
        json!({"t1": "accept"}),
    ] {
        let (s, _) = mp
            .post(
                "/api/v1/subscriptions/consents",
                &leaving.token,
                json!({ "results": results }),
            )
            .await;
        assert_eq!(s, 200);
    }
    Families {
        leaving,
        staying,
        own_baby,
        other_baby,
    }
}

/// A body each route would take, so that only the token can be what is refused.
fn valid_body(method: &str, path: &str) -> Value {
    match (method, path) {
        ("put", "/api/v1/me") => json!({"nickname": "x"}),
        ("post", "/api/v1/me/phone") => json!({"code": "pc"}),
        ("post", "/api/v1/me/consent") => json!({"privacy_policy_version": "2026-11-01"}),
        ("put", "/api/v1/me/push-preferences") => json!({"stage": false}),
        ("post", "/api/v1/babies") | ("put", "/api/v1/babies/{baby_id}") => {
            json!({"name": "x", "birth_date": "2025-09-15"})
        }
        ("post", "/api/v1/invites/accept") => json!({"code": "ABCDEFGH"}),
        ("post", "/api/v1/babies/{baby_id}/doses")
        | ("put", "/api/v1/babies/{baby_id}/doses/{dose_id}") => {
            json!({"vaccine": "HepB", "dose": 2, "date": "2025-10-15"})
        }
        ("put", "/api/v1/babies/{baby_id}/opt-ins") => json!({"vaccines": []}),
        ("post", "/api/v1/subscriptions/consents") => json!({"results": {"t1": "accept"}}),
        ("post", "/api/v1/membership/orders") => json!({"plan_id": "basic_1m", "request_id": "r"}),
        ("post", "/api/v1/coupons/claims") => json!({"template_id": 1, "request_id": "r1"}),
        ("post", "/api/v1/coupons/{coupon_id}/code") => json!({}),
        ("post", "/api/v1/shop/orders") => {
            json!({"items": [{"sku_id": 1, "quantity": 1}], "request_id": "r"})
        }
        ("post", "/api/v1/shop/orders/{order_id}/cancel")
        | ("post", "/api/v1/shop/orders/{order_id}/receive") => json!({}),
        ("post", "/api/v1/shop/orders/{order_id}/refund-request") => json!({"reason": "x"}),
        ("post", "/api/v1/shop/mall/exchanges") => json!({"item_id": 1}),
        ("post", "/api/v1/events/{event_id}/bookings") => json!({"seats": 1, "request_id": "r"}),
        ("post", "/api/v1/events/{event_id}/waitlist") => json!({"seats": 1}),
        ("post", "/api/v1/waitlist/{entry_id}/accept") => json!({"request_id": "r"}),
        _ => panic!("give {method} {path} a valid body here"),
    }
}

/// Calls every secured operation of the mini-program contract with `token` and a valid body,
/// expecting 401 `member_not_found`; answers how many there were.
async fn refused_at_every_member_route(mp: &MpApp, token: &str, baby: i64) -> usize {
    let spec = serde_json::to_value(MpApiDoc::openapi()).unwrap();
    let mut refused = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{baby_id}", &baby.to_string())
            .replace("{dose_id}", "1")
            .replace("{member_id}", "1")
            .replace("{article_id}", "1")
            .replace("{order_id}", "1")
            .replace("{coupon_id}", "1")
            .replace("{product_id}", "1")
            .replace("{group_id}", "1")
            .replace("{event_id}", "1")
            .replace("{entry_id}", "1")
            .replace("{booking_id}", "1");
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("security").is_none() {
                continue;
            }
            let body = operation
                .get("requestBody")
                .map(|_| valid_body(method, path));
            let verb: Method = method.to_uppercase().parse().unwrap();
            let (s, b) = mp.call(verb, &concrete, Some(token), body).await;
            assert_eq!(error(s, &b), (401, "member_not_found"), "{method} {path}");
            refused += 1;
        }
    }
    refused
}

#[actix_web::test]
async fn the_export_holds_everything_of_the_member() {
    let mp = MpApp::spawn().await;
    let f = two_families(&mp).await;
    let (s, export) = mp.get("/api/v1/me/export", &f.leaving.token).await;
    assert_eq!(s, 200, "{export}");
    assert_eq!(export["openid"], "o-leaving");
    assert_eq!(export["member"]["phone_number"], "13900000000");
    assert_eq!(
        export["privacy_consents"][0]["privacy_policy_version"],
        "2026-11-01"
    );
    let babies = export["babies"].as_array().unwrap();
    assert_eq!(babies.len(), 2);
    let own = babies
        .iter()
        .find(|b| b["baby"]["id"] == f.own_baby)
        .unwrap();
    assert_eq!(own["baby"]["role"], "owner");
    assert_eq!(own["baby"]["opt_ins"], json!(["PCV13"]));
    assert_eq!(own["doses"].as_array().unwrap().len(), 2);
    assert_eq!(own["caregivers"].as_array().unwrap().len(), 2);
    assert_eq!(own["invites"].as_array().unwrap().len(), 2);
    let shared = babies
        .iter()
        .find(|b| b["baby"]["id"] == f.other_baby)
        .unwrap();
    assert_eq!(shared["baby"]["role"], "caregiver");
    assert_eq!(shared["invites"], json!([]));
    assert_eq!(
        export["subscription_allowances"],
        json!([{"template_id": "t1", "remaining": 2}])
    );
    assert_eq!(export["subscription_ledger"].as_array().unwrap().len(), 3);
    // Points for two doses and a consent (5 for reminders, 10 a dose).
    assert_eq!(export["points"]["balance"], 25);
    assert_eq!(export["points_ledger"].as_array().unwrap().len(), 3);
    // Secrets and WeChat's session key are not data of the member's.
    assert!(!export.to_string().contains("c2Vzc2lvbi1rZXk"));
    mp.finish().await;
}

#[actix_web::test]
async fn erasure_removes_the_member_and_their_babies_but_not_other_families() {
    let mp = MpApp::spawn().await;
    let f = two_families(&mp).await;
    let (s, body) = mp.delete("/api/v1/me", &f.leaving.token).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body["erased"],
        json!({
            "members": 1,
            "privacy_consents": 1,
            "babies": 1,
            "doses": 2,
            "opt_ins": 1,
            // Own baby: owner + the other parent; other baby: the leaving caregiver.
            "caregiver_links": 3,
            "invites": 2,
            "subscription_events": 3,
            "subscription_allowances": 1,
            // Points for two doses and a consent: the account and three lots go, the three
            // ledger rows stay for accounting, unlinked.
            "points_records": 4,
            "points_ledger_unlinked": 3,
            "doses_unattributed": 1,
            "invites_unattributed": 1,
            "pay_orders_unattributed": 0,
            "membership_periods_unattributed": 0,
            "coupons_unattributed": 0,
            "coupon_codes": 0,
            "shop_orders_anonymised": 0,
            "event_bookings_cancelled": 0,
            "event_rows_unattributed": 0
        })
    );
    let unlinked = entity::points_ledger::Entity::find()
        .all(&mp.app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.member_id.is_none())
        .count();
    assert_eq!(unlinked, 3);

    // The token now names no one, at every route of the member's door.
    let refused = refused_at_every_member_route(&mp, &f.leaving.token, f.own_baby).await;
    assert_eq!(refused, 66);

    // The other family keeps its baby and both of its doses; the erased baby is gone for them.
    let (s, b) = mp
        .get(&format!("/api/v1/babies/{}", f.own_baby), &f.staying.token)
        .await;
    assert_eq!(error(s, &b), (404, "baby_not_found"));
    let (s, kept) = mp
        .get(
            &format!("/api/v1/babies/{}/doses", f.other_baby),
            &f.staying.token,
        )
        .await;
    assert_eq!(s, 200);
    let recorders: Vec<_> = kept
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["recorded_by"].clone())
        .collect();
    assert_eq!(recorders.len(), 2);
    assert!(recorders.contains(&json!(null)) && recorders.contains(&json!(f.staying.id)));
    let (_, family) = mp
        .get(
            &format!("/api/v1/babies/{}/caregivers", f.other_baby),
            &f.staying.token,
        )
        .await;
    assert_eq!(family.as_array().unwrap().len(), 1);

    // Nothing of the member is left in any table.
    let db = &mp.app.db;
    let id = f.leaving.id as i32;
    assert_eq!(
        members::Entity::find()
            .filter(members::Column::Openid.eq("o-leaving"))
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(members::Entity::find_by_id(id).count(db).await.unwrap(), 0);
    assert_eq!(
        babies::Entity::find()
            .filter(babies::Column::OwnerMemberId.eq(id))
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        baby_caregivers::Entity::find()
            .filter(baby_caregivers::Column::MemberId.eq(id))
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        doses::Entity::find()
            .filter(doses::Column::RecordedBy.eq(id))
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        doses::Entity::find()
            .filter(doses::Column::BabyId.eq(f.own_baby as i32))
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        baby_opt_ins::Entity::find()
            .filter(baby_opt_ins::Column::BabyId.eq(f.own_baby as i32))
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        baby_invites::Entity::find()
            .filter(
                baby_invites::Column::CreatedBy
                    .eq(id)
                    .or(baby_invites::Column::AcceptedBy.eq(id))
            )
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        privacy_consents::Entity::find()
            .filter(privacy_consents::Column::MemberId.eq(id))
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        subscription_events::Entity::find()
            .filter(subscription_events::Column::MemberId.eq(id))
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        subscription_allowances::Entity::find()
            .filter(subscription_allowances::Column::MemberId.eq(id))
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(members::Entity::find().count(db).await.unwrap(), 1);

    // Logging in again starts afresh.
    let (s, again) = mp.login_as("o-leaving", None).await;
    assert_eq!(s, 200);
    assert_eq!(again["new_member"], true);
    assert_ne!(again["member"]["id"], f.leaving.id);
    mp.finish().await;
}
