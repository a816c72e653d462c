//! Earning where the action happens, once per action (retried, or undone and redone);
//! campaigns multiply only what they name and never lift a capped reason over its cap; the
//! reasons whose features are not open are rules already, with their credit ready.

use babyvax::domain::points::{Base, Reason, week_reference};
use babyvax::service::points::earn;
use chrono::NaiveDate;
use reqwest::Method;
use serde_json::{Value, json};

use super::support::{assert_verified, balance, rows_of};
use crate::admin::support::operator;
use crate::mp::support::{Member, MpApp, error};

async fn baby(mp: &MpApp, member: &Member, birth: &str, sex: Option<&str>) -> i64 {
    let (s, b) = mp
        .post(
            "/api/v1/babies",
            &member.token,
            json!({"name": "小米", "birth_date": birth, "sex": sex}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b["id"].as_i64().unwrap()
}

fn deltas(rows: &[entity::points_ledger::Model]) -> Vec<i64> {
    rows.iter().map(|r| r.delta).collect()
}

#[actix_web::test]
async fn a_completed_baby_profile_earns_once_per_baby() {
    let mp = MpApp::spawn().await;
    let member = mp.parent("o-profile").await;
    let first = baby(&mp, &member, "2026-01-10", Some("female")).await;
    let second = baby(&mp, &member, "2026-01-10", None).await;
    assert_eq!(
        rows_of(&mp, &member, "baby_profile_completed").await.len(),
        1
    );
    // Completing the second, then saving both again (a retry, an edit).
    for id in [second, second, first] {
        let (s, b) = mp
            .put(
                &format!("/api/v1/babies/{id}"),
                &member.token,
                json!({"name": "小米", "birth_date": "2026-01-10", "sex": "male"}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let rows = rows_of(&mp, &member, "baby_profile_completed").await;
    assert_eq!(deltas(&rows), [50, 50]);
    assert_eq!(
        rows.iter()
            .map(|r| r.reference.clone().unwrap())
            .collect::<Vec<_>>(),
        [first.to_string(), second.to_string()]
    );
    assert_eq!(balance(&mp, &member).await, 100);
    assert_verified(&mp).await;
    mp.finish().await;
}

#[actix_web::test]
async fn a_dose_earns_once_even_when_deleted_and_recorded_again() {
    let mp = MpApp::spawn().await;
    let member = mp.parent("o-doses").await;
    let id = baby(&mp, &member, "2026-03-10", None).await;
    let (s, b) = mp.add_dose(&member, id, "HepB", 1, "2026-03-10").await;
    assert_eq!(s, 201, "{b}");
    let dose_id = b["id"].as_i64().unwrap();
    let (s, _) = mp
        .delete(
            &format!("/api/v1/babies/{id}/doses/{dose_id}"),
            &member.token,
        )
        .await;
    assert_eq!(s, 204);
    let (s, b) = mp.add_dose(&member, id, "HepB", 1, "2026-03-10").await;
    assert_eq!(s, 201, "{b}");
    let rows = rows_of(&mp, &member, "dose_recorded").await;
    assert_eq!(deltas(&rows), [10]);
    assert_eq!(rows[0].reference.as_deref(), Some(&*format!("{id}:HepB:1")));
    // A duplicate is refused by care and earns nothing either.
    let (s, b) = mp.add_dose(&member, id, "HepB", 1, "2026-03-10").await;
    assert_eq!(error(s, &b), (409, "duplicate_dose"));
    assert_eq!(rows_of(&mp, &member, "dose_recorded").await.len(), 1);
    assert_verified(&mp).await;
    mp.finish().await;
}

#[actix_web::test]
async fn a_record_complete_on_time_earns_once() {
    let mp = MpApp::spawn().await;
    let member = mp.parent("o-complete").await;
    let id = baby(&mp, &member, "2026-03-10", None).await;
    let (_, schedule) = mp
        .get(&format!("/api/v1/babies/{id}/schedule"), &member.token)
        .await;
    let due: Vec<(String, i64)> = schedule["doses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["status"] == "due" || d["status"] == "overdue")
        .map(|d| {
            (
                d["vaccine"].as_str().unwrap().to_owned(),
                d["dose"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(due.len() >= 2, "birth doses are due: {due:?}");
    let mut last_dose = None;
    for (i, (vaccine, dose)) in due.iter().enumerate() {
        assert!(
            rows_of(&mp, &member, "record_complete_before_due")
                .await
                .is_empty(),
            "not complete before the last due dose ({i})"
        );
        let (s, b) = mp
            .add_dose(&member, id, vaccine, *dose as u8, "2026-03-10")
            .await;
        assert_eq!(s, 201, "{b}");
        last_dose = Some((b["id"].as_i64().unwrap(), vaccine.clone(), *dose));
    }
    let rows = rows_of(&mp, &member, "record_complete_before_due").await;
    assert_eq!(deltas(&rows), [20]);
    let (dose_id, vaccine, dose) = last_dose.unwrap();
    assert_eq!(
        rows[0].reference.as_deref(),
        Some(&*format!("{id}:{vaccine}:{dose}"))
    );
    // Undone and redone: still once.
    mp.delete(
        &format!("/api/v1/babies/{id}/doses/{dose_id}"),
        &member.token,
    )
    .await;
    let (s, _) = mp
        .add_dose(&member, id, &vaccine, dose as u8, "2026-03-10")
        .await;
    assert_eq!(s, 201);
    assert_eq!(
        rows_of(&mp, &member, "record_complete_before_due")
            .await
            .len(),
        1
    );
    assert_verified(&mp).await;
    mp.finish().await;
}

#[actix_web::test]
async fn enabling_reminders_earns_once_per_template() {
    let mp = MpApp::spawn().await;
    let member = mp.login("o-consents").await;
    for (request, template) in [
        ("r1", "tmpl"),
        ("r2", "tmpl"),
        ("r2", "tmpl"),
        ("r3", "other"),
    ] {
        let (s, b) = mp
            .post(
                "/api/v1/subscriptions/consents",
                &member.token,
                json!({"results": {template: "accept"}, "request_id": request}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let (s, _) = mp
        .post(
            "/api/v1/subscriptions/consents",
            &member.token,
            json!({"results": {"third": "reject"}, "request_id": "r4"}),
        )
        .await;
    assert_eq!(s, 200);
    let rows = rows_of(&mp, &member, "reminders_enabled").await;
    assert_eq!(deltas(&rows), [5, 5]);
    assert_eq!(
        rows.iter()
            .map(|r| r.reference.clone().unwrap())
            .collect::<Vec<_>>(),
        ["tmpl", "other"]
    );
    assert_verified(&mp).await;
    mp.finish().await;
}

fn double_doses(today: &str) -> Value {
    json!({
        "slug": "double-doses", "name": "接种双倍积分", "multiplier_bp": 20000,
        "starts_on": today, "days": "every_day",
        "reasons": {"only": ["dose_recorded"]}, "levels": "any", "tiers": "any"
    })
}

#[actix_web::test]
async fn a_campaign_doubles_only_what_it_names_and_never_lifts_a_cap() {
    let mp = MpApp::spawn().await;
    let staff = operator(&mp, "ops", "operator").await;
    let (s, b) = mp
        .post(
            "/admin/v1/points/campaigns",
            &staff.token,
            double_doses("2026-03-10"),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let mut member = mp.parent("o-campaign").await;
    let id = baby(&mp, &member, "2025-09-10", None).await;
    // dose_recorded: 10 points, cap 50 a day; doubled: 20, 20, then 10 left, then nothing.
    for (vaccine, dose, date) in [
        ("HepB", 1, "2025-09-10"),
        ("BCG", 1, "2025-09-10"),
        ("HepB", 2, "2025-10-10"),
        ("HepB", 3, "2026-03-10"),
    ] {
        let (s, b) = mp.add_dose(&member, id, vaccine, dose, date).await;
        assert_eq!(s, 201, "{b}");
    }
    let rows = rows_of(&mp, &member, "dose_recorded").await;
    assert_eq!(deltas(&rows), [20, 20, 10, 0]);
    assert_eq!(rows[0].campaign.as_deref(), Some("double-doses"));
    assert_eq!(rows[3].campaign, None, "nothing multiplied");
    assert_eq!(
        rows.iter().map(|r| r.growth_delta).collect::<Vec<_>>(),
        [5, 5, 5, 5],
        "growth is never multiplied"
    );
    // The check-in is not named: not doubled.
    let (s, b) = mp
        .call(
            Method::POST,
            "/api/v1/points/check-ins",
            Some(&member.token),
            None,
        )
        .await;
    assert_eq!((s, b["points"].as_i64()), (201, Some(5)));
    assert_eq!(rows_of(&mp, &member, "check_in").await[0].campaign, None);

    // Ended: the next day's doses earn the plain award.
    let (_, list) = mp.get("/admin/v1/points/campaigns", &staff.token).await;
    let campaign_id = list[0]["id"].as_i64().unwrap();
    let (s, ended) = mp
        .post(
            &format!("/admin/v1/points/campaigns/{campaign_id}/end"),
            &staff.token,
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{ended}");
    assert!(ended["ended_at"].is_string());
    mp.set_today("2026-03-11");
    member = mp.login("o-campaign").await;
    let other = baby(&mp, &member, "2026-03-11", None).await;
    let (s, _) = mp.add_dose(&member, other, "HepB", 1, "2026-03-11").await;
    assert_eq!(s, 201);
    let rows = rows_of(&mp, &member, "dose_recorded").await;
    assert_eq!(rows.last().unwrap().delta, 10);
    assert_eq!(rows.last().unwrap().campaign, None);
    assert_verified(&mp).await;
    mp.finish().await;
}

#[actix_web::test]
async fn the_reasons_of_features_not_open_yet_are_rules_with_their_credit_ready() {
    let mp = MpApp::spawn().await;
    let member = mp.login("o-later").await;
    let id = member.id as i32;
    let now = mp.now();
    let db = &mp.app.db;
    // A purchase: a point per whole yuan, once per order.
    let paid = earn::credit_purchase(db, id, "T20260310001", 12_345, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((paid.points, paid.replayed), (123, false));
    let again = earn::credit_purchase(db, id, "T20260310001", 12_345, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.entry_id, again.replayed), (paid.entry_id, true));
    // The stage article of the week: once per ISO week.
    let today: NaiveDate = "2026-03-10".parse().unwrap();
    let week = week_reference(today);
    for _ in 0..2 {
        earn::credit(db, id, Reason::StageArticleRead, &week, Base::Event, now)
            .await
            .unwrap();
    }
    assert_eq!(
        deltas(&rows_of(&mp, &member, "stage_article_read").await),
        [5]
    );
    // Q&A and invites are switched off until their features open: nothing is written.
    for reason in [Reason::QaAnswerAccepted, Reason::FriendInvitedQualified] {
        let earned = earn::credit(db, id, reason, "x1", Base::Event, now)
            .await
            .unwrap();
        assert_eq!(earned, None);
    }
    assert_eq!(balance(&mp, &member).await, 128);
    // The tasks list every rule with what was done.
    let (s, tasks) = mp.get("/api/v1/points/tasks", &member.token).await;
    assert_eq!(s, 200, "{tasks}");
    let tasks = tasks["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), Reason::ALL.len());
    let purchase = tasks.iter().find(|t| t["reason"] == "purchase").unwrap();
    assert_eq!(purchase["ever"]["points"], 123);
    assert_eq!(purchase["today"]["times"], 1);
    let qa = tasks
        .iter()
        .find(|t| t["reason"] == "qa_answer_accepted")
        .unwrap();
    assert_eq!(qa["enabled"], false);
    assert_verified(&mp).await;
    mp.finish().await;
}

#[actix_web::test]
async fn reading_articles_earns_once_a_week() {
    let mp = MpApp::spawn().await;
    let mut member = mp.parent("o-reader").await;
    let id = baby(&mp, &member, "2026-01-10", None).await;
    let (s, feed) = mp
        .get(&format!("/api/v1/babies/{id}/feed"), &member.token)
        .await;
    assert_eq!(s, 200, "{feed}");
    let articles: Vec<i64> = feed["upcoming_doses"][0]["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert!(!articles.is_empty(), "{feed}");
    for article in articles.iter().chain(articles.iter()) {
        let (s, _) = mp
            .get(&format!("/api/v1/articles/{article}"), &member.token)
            .await;
        assert_eq!(s, 200);
    }
    // 2026-03-10 is in ISO week 11; 2026-03-16 starts week 12.
    mp.set_today("2026-03-15");
    member = mp.login("o-reader").await;
    mp.get(&format!("/api/v1/articles/{}", articles[0]), &member.token)
        .await;
    mp.set_today("2026-03-16");
    member = mp.login("o-reader").await;
    mp.get(&format!("/api/v1/articles/{}", articles[0]), &member.token)
        .await;
    let rows = rows_of(&mp, &member, "stage_article_read").await;
    assert_eq!(deltas(&rows), [5, 5]);
    assert_eq!(
        rows.iter()
            .map(|r| r.reference.clone().unwrap())
            .collect::<Vec<_>>(),
        ["2026-W11", "2026-W12"]
    );
    mp.finish().await;
}
