//! Operators: adjustments (idempotent by request_id, audited, never below zero, refused for
//! analyst and support), earning rules and levels (validated, field by field), a member's
//! ledger; and no member ever reaches another member's ledger.

use reqwest::Method;
use serde_json::json;

use super::support::{adjust, assert_verified, balance, ledger_rows};
use crate::admin::support::{audited_actions, operator};
use crate::mp::support::{MpApp, error};

#[actix_web::test]
async fn an_adjustment_is_idempotent_by_request_id_and_audited() {
    let mp = MpApp::spawn().await;
    let staff = operator(&mp, "ops", "operator").await;
    let member = mp.login("o-adjusted").await;
    let (s, first) = adjust(&mp, &staff, &member, 30, "req-1").await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(first["replayed"], false);
    assert_eq!(first["entry"]["delta"], 30);
    assert_eq!(first["entry"]["reason"], "adjustment");
    let (s, again) = adjust(&mp, &staff, &member, 30, "req-1").await;
    assert_eq!(s, 200);
    assert_eq!(again["replayed"], true);
    assert_eq!(again["entry"]["id"], first["entry"]["id"]);
    // Parallel retries of one request, too.
    let retries = (0..10).map(|_| adjust(&mp, &staff, &member, 25, "req-2"));
    for (s, b) in futures_util::future::join_all(retries).await {
        assert_eq!(s, 200, "{b}");
    }
    assert_eq!(balance(&mp, &member).await, 55);
    assert_eq!(ledger_rows(&mp, &member).await.len(), 2);
    let audited: Vec<_> = audited_actions(&mp)
        .await
        .into_iter()
        .filter(|row| row.action == "member.points_adjust")
        .collect();
    assert_eq!(audited.len(), 2, "one row per adjustment made");
    assert_eq!(audited[0].actor_id, staff.id);
    assert_eq!(audited[0].target_type.as_deref(), Some("member"));
    assert_eq!(
        audited[0].target_id.as_deref(),
        Some(&*member.id.to_string())
    );
    assert_eq!(
        ledger_rows(&mp, &member).await[0].operator_id,
        Some(staff.id)
    );

    // A debit beyond the balance: refused, nothing written, nothing audited.
    let (s, b) = adjust(&mp, &staff, &member, -56, "req-3").await;
    assert_eq!(error(s, &b), (409, "insufficient_points"));
    let (s, _) = adjust(&mp, &staff, &member, -55, "req-3").await;
    assert_eq!(s, 200, "the same request_id may succeed once it fits");
    assert_eq!(balance(&mp, &member).await, 0);
    assert_eq!(
        audited_actions(&mp)
            .await
            .iter()
            .filter(|row| row.action == "member.points_adjust")
            .count(),
        3
    );
    assert_verified(&mp).await;
    mp.finish().await;
}

#[actix_web::test]
async fn adjustments_are_checked_field_by_field() {
    let mp = MpApp::spawn().await;
    let staff = operator(&mp, "admin1", "admin").await;
    let member = mp.login("o-checked").await;
    let path = format!("/admin/v1/members/{}/points", member.id);
    for (body, field) in [
        (
            json!({"delta": 0, "reason": "x", "request_id": "r"}),
            "delta",
        ),
        (
            json!({"delta": 1_000_001, "reason": "x", "request_id": "r"}),
            "delta",
        ),
        (
            json!({"delta": 5, "reason": "", "request_id": "r"}),
            "reason",
        ),
        (
            json!({"delta": 5, "reason": "x", "request_id": "r".repeat(65)}),
            "request_id",
        ),
    ] {
        let (s, b) = mp.post(&path, &staff.token, body).await;
        assert_eq!(error(s, &b), (400, "invalid_adjustment"));
        assert!(b["message"].as_str().unwrap().starts_with(field), "{b}");
    }
    let (s, b) = mp
        .post(
            "/admin/v1/members/999999/points",
            &staff.token,
            json!({"delta": 5, "reason": "x", "request_id": "r"}),
        )
        .await;
    assert_eq!(error(s, &b), (404, "unknown_member"));
    mp.finish().await;
}

#[actix_web::test]
async fn analysts_and_support_may_not_touch_points() {
    let mp = MpApp::spawn().await;
    let member = mp.login("o-protected").await;
    for role in ["analyst", "support"] {
        let staff = operator(&mp, role, role).await;
        let (s, b) = adjust(&mp, &staff, &member, 10, "r1").await;
        assert_eq!(error(s, &b), (403, "role_forbidden"), "{role}");
        for path in [
            "/admin/v1/points/earning-rules".to_owned(),
            "/admin/v1/points/levels".to_owned(),
            "/admin/v1/points/campaigns".to_owned(),
            format!("/admin/v1/members/{}/points/ledger", member.id),
        ] {
            let (s, b) = mp.get(&path, &staff.token).await;
            assert_eq!(error(s, &b), (403, "role_forbidden"), "{role} {path}");
        }
    }
    assert_eq!(balance(&mp, &member).await, 0);
    assert!(
        audited_actions(&mp)
            .await
            .iter()
            .all(|row| !row.action.contains("points")),
        "nothing was done"
    );
    mp.finish().await;
}

#[actix_web::test]
async fn another_members_ledger_is_never_reachable_from_the_mini_program() {
    let mp = MpApp::spawn().await;
    let staff = operator(&mp, "ops", "operator").await;
    let alice = mp.login("o-alice").await;
    let bob = mp.login("o-bob").await;
    for i in 0..3 {
        adjust(&mp, &staff, &alice, 10, &format!("a{i}")).await;
    }
    let (s, mine) = mp.get("/api/v1/points/ledger?limit=2", &alice.token).await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(mine["entries"].as_array().unwrap().len(), 2);
    let cursor = mine["next_cursor"].as_i64().unwrap();
    let (_, rest) = mp
        .get(
            &format!("/api/v1/points/ledger?cursor={cursor}"),
            &alice.token,
        )
        .await;
    assert_eq!(rest["entries"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_cursor"], serde_json::Value::Null);
    // Bob with Alice's cursor, and without: only his own (none).
    for path in [
        format!("/api/v1/points/ledger?cursor={}", cursor + 10),
        "/api/v1/points/ledger".to_owned(),
    ] {
        let (s, theirs) = mp.get(&path, &bob.token).await;
        assert_eq!(s, 200);
        assert_eq!(theirs["entries"], json!([]), "{path}");
    }
    for bad in ["?limit=0", "?limit=101", "?cursor=0", "?cursor=x"] {
        let (s, b) = mp
            .get(&format!("/api/v1/points/ledger{bad}"), &alice.token)
            .await;
        assert_eq!(s, 400, "{bad}: {b}");
    }
    // Operators read it, audited.
    let (s, page) = mp
        .get(
            &format!("/admin/v1/members/{}/points/ledger", alice.id),
            &staff.token,
        )
        .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["entries"].as_array().unwrap().len(), 3);
    assert!(
        audited_actions(&mp)
            .await
            .iter()
            .any(|row| row.action == "member.points_ledger_read")
    );
    mp.finish().await;
}

#[actix_web::test]
async fn earning_rules_and_levels_are_data_checked_field_by_field() {
    let mp = MpApp::spawn().await;
    let staff = operator(&mp, "ops", "operator").await;
    let (s, rules) = mp.get("/admin/v1/points/earning-rules", &staff.token).await;
    assert_eq!(s, 200, "{rules}");
    let mut doc = rules.clone();
    let check_in = doc["rules"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["reason"] == "check_in")
        .unwrap();
    check_in["award"] = json!({"streak": [10, 5]});
    let (s, b) = mp
        .put("/admin/v1/points/earning-rules", &staff.token, doc.clone())
        .await;
    assert_eq!(error(s, &b), (400, "streak_ladder_decreasing"), "{b}");
    let check_in = doc["rules"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["reason"] == "check_in")
        .unwrap();
    check_in["award"] = json!({"streak": [7, 8]});
    check_in["daily_cap"] = json!(3);
    let (s, b) = mp
        .put("/admin/v1/points/earning-rules", &staff.token, doc.clone())
        .await;
    assert_eq!(error(s, &b), (400, "cap_below_award"), "{b}");
    assert!(b["message"].as_str().unwrap().contains("daily_cap"), "{b}");
    let check_in = doc["rules"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["reason"] == "check_in")
        .unwrap();
    check_in["daily_cap"] = json!(null);
    let (s, b) = mp
        .put("/admin/v1/points/earning-rules", &staff.token, doc.clone())
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, stored) = mp.get("/admin/v1/points/earning-rules", &staff.token).await;
    assert_eq!(stored, b);
    // Missing a reason.
    let mut short = doc.clone();
    short["rules"].as_array_mut().unwrap().pop();
    let (s, b) = mp
        .put("/admin/v1/points/earning-rules", &staff.token, short)
        .await;
    assert_eq!(error(s, &b), (400, "missing_reason"));
    // The new ladder pays.
    let member = mp.login("o-ladder").await;
    let (s, b) = mp
        .call(
            Method::POST,
            "/api/v1/points/check-ins",
            Some(&member.token),
            None,
        )
        .await;
    assert_eq!((s, b["points"].as_i64()), (201, Some(7)));

    let (s, levels) = mp.get("/admin/v1/points/levels", &staff.token).await;
    assert_eq!(s, 200);
    assert_eq!(levels["levels"][0]["threshold"], 0);
    let mut bad = levels.clone();
    bad["levels"][1]["threshold"] = json!(0);
    let (s, b) = mp.put("/admin/v1/points/levels", &staff.token, bad).await;
    assert_eq!(error(s, &b), (400, "thresholds_not_ascending"));
    let table = json!({"levels": [
        {"id": "new", "name": "新手", "threshold": 0, "privileges": {"points_multiplier_bp": 10000}},
        {"id": "keen", "name": "积极", "threshold": 5, "privileges": {"points_multiplier_bp": 20000}}
    ]});
    let (s, b) = mp.put("/admin/v1/points/levels", &staff.token, table).await;
    assert_eq!(s, 200, "{b}");
    let (_, summary) = mp.get("/api/v1/points", &member.token).await;
    assert_eq!(summary["level"]["id"], "new");
    assert_eq!(summary["next_level"]["missing"], 4);
    let audited: Vec<_> = audited_actions(&mp)
        .await
        .into_iter()
        .map(|row| row.action)
        .collect();
    assert!(audited.contains(&"points.rules_put".to_owned()));
    assert!(audited.contains(&"points.levels_put".to_owned()));
    mp.finish().await;
}
