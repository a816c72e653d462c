//! Babies, privacy consent before children's data, isolation between families, and sharing
//! through invites.

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};

use crate::mp::support::{MpApp, POLICY, error};

#[actix_web::test]
async fn babies_need_consent_to_the_current_privacy_policy() {
    let mp = MpApp::spawn().await;
    let member = mp.login("o-1").await;
    let baby = json!({"name": "小米", "birth_date": "2026-01-05"});
    let (s, b) = mp.post("/api/v1/babies", &member.token, baby.clone()).await;
    assert_eq!(error(s, &b), (403, "privacy_consent_required"));

    let (s, b) = mp
        .post(
            "/api/v1/me/consent",
            &member.token,
            json!({"privacy_policy_version": "2020-01-01"}),
        )
        .await;
    assert_eq!(error(s, &b), (400, "privacy_policy_version_mismatch"));
    let (s, first) = mp
        .post(
            "/api/v1/me/consent",
            &member.token,
            json!({"privacy_policy_version": POLICY}),
        )
        .await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(first["privacy_policy_version"], POLICY);
    // Consenting again answers the first consent.
    mp.app.clock.advance(Duration::hours(1));
    let (_, again) = mp
        .post(
            "/api/v1/me/consent",
            &member.token,
            json!({"privacy_policy_version": POLICY}),
        )
        .await;
    assert_eq!(again, first);
    let (_, me) = mp.get("/api/v1/me", &member.token).await;
    assert_eq!(me["privacy_consent"], first);

    let (s, b) = mp.post("/api/v1/babies", &member.token, baby).await;
    assert_eq!(s, 201, "{b}");
    mp.finish().await;
}

#[actix_web::test]
async fn a_baby_is_created_read_listed_updated_and_deleted() {
    let mp = MpApp::spawn().await;
    let parent = mp.parent("o-1").await;
    let (s, created) = mp
        .post(
            "/api/v1/babies",
            &parent.token,
            json!({"name": " 小米 ", "birth_date": "2026-01-05", "sex": "female", "preterm_weeks": 3}),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["name"], "小米");
    assert_eq!(created["sex"], "female");
    assert_eq!(created["preterm_weeks"], 3);
    assert_eq!(created["role"], "owner");
    assert_eq!(created["opt_ins"], json!([]));
    // Born 2026-01-05, nothing recorded, today 2026-03-10: HepB 1 and BCG are due (since
    // birth), HepB 2 too; the 2-month doses became due on 03-05. Next change: the 3-month
    // polio dose on 04-05.
    assert_eq!(created["next_event_date"], "2026-04-05");
    let id = created["id"].as_i64().unwrap();
    let older = mp.add_baby(&parent, "大米", "2024-06-01").await;

    let (s, list) = mp.get("/api/v1/babies", &parent.token).await;
    assert_eq!(s, 200);
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [older, id], "oldest first");

    let (s, one) = mp.get(&format!("/api/v1/babies/{id}"), &parent.token).await;
    assert_eq!(s, 200);
    assert_eq!(one, created);

    let (s, updated) = mp
        .put(
            &format!("/api/v1/babies/{id}"),
            &parent.token,
            json!({"name": "小米粒", "birth_date": "2026-01-06", "sex": "male"}),
        )
        .await;
    assert_eq!(s, 200, "{updated}");
    assert_eq!(updated["name"], "小米粒");
    assert_eq!(updated["sex"], "male");
    assert_eq!(updated["preterm_weeks"], Value::Null);
    assert_eq!(updated["next_event_date"], "2026-04-06");

    for (body, code) in [
        (
            json!({"name": "", "birth_date": "2026-01-05"}),
            "invalid_baby_name",
        ),
        (
            json!({"name": "x".repeat(33), "birth_date": "2026-01-05"}),
            "invalid_baby_name",
        ),
        (
            json!({"name": "a", "birth_date": "2026-03-11"}),
            "birth_date_in_future",
        ),
        (
            json!({"name": "a", "birth_date": "2008-03-10"}),
            "birth_date_too_old",
        ),
        (
            json!({"name": "a", "birth_date": "2026-01-05", "preterm_weeks": 0}),
            "invalid_preterm_weeks",
        ),
        (
            json!({"name": "a", "birth_date": "2026-02-30"}),
            "invalid_json",
        ),
        (
            json!({"name": "a", "birth_date": "2026-01-05", "sex": "other"}),
            "invalid_json",
        ),
    ] {
        let (s, b) = mp.post("/api/v1/babies", &parent.token, body.clone()).await;
        assert_eq!(error(s, &b), (400, code), "{body}");
        let (s, b) = mp
            .put(&format!("/api/v1/babies/{id}"), &parent.token, body.clone())
            .await;
        assert_eq!(error(s, &b), (400, code), "{body}");
    }
    let (s, b) = mp.get("/api/v1/babies/abc", &parent.token).await;
    assert_eq!(error(s, &b), (400, "invalid_path"));

    let (s, _) = mp
        .delete(&format!("/api/v1/babies/{id}"), &parent.token)
        .await;
    assert_eq!(s, 204);
    let (s, b) = mp.get(&format!("/api/v1/babies/{id}"), &parent.token).await;
    assert_eq!(error(s, &b), (404, "baby_not_found"));
    let (_, list) = mp.get("/api/v1/babies", &parent.token).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    mp.finish().await;
}

#[actix_web::test]
async fn a_new_birth_date_must_still_come_before_the_recorded_doses() {
    let mp = MpApp::spawn().await;
    let parent = mp.parent("o-1").await;
    let baby = mp.add_baby(&parent, "a", "2026-01-05").await;
    assert_eq!(
        mp.add_dose(&parent, baby, "HepB", 1, "2026-01-05").await.0,
        201
    );
    let (s, b) = mp
        .put(
            &format!("/api/v1/babies/{baby}"),
            &parent.token,
            json!({"name": "a", "birth_date": "2026-01-06"}),
        )
        .await;
    assert_eq!(error(s, &b), (400, "dose_before_birth"));
    let (_, still) = mp
        .get(&format!("/api/v1/babies/{baby}"), &parent.token)
        .await;
    assert_eq!(still["birth_date"], "2026-01-05");
    mp.finish().await;
}

/// Every route that takes a baby id, with a body where it needs one.
fn baby_routes(baby: i64, dose: i64, other_member: i64) -> Vec<(Method, String, Option<Value>)> {
    let dose_body = json!({"vaccine": "HepB", "dose": 2, "date": "2026-02-05"});
    vec![
        (Method::GET, format!("/api/v1/babies/{baby}"), None),
        (
            Method::PUT,
            format!("/api/v1/babies/{baby}"),
            Some(json!({"name": "x", "birth_date": "2026-01-05"})),
        ),
        (Method::DELETE, format!("/api/v1/babies/{baby}"), None),
        (
            Method::POST,
            format!("/api/v1/babies/{baby}/invites"),
            Some(json!({})),
        ),
        (
            Method::GET,
            format!("/api/v1/babies/{baby}/caregivers"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/babies/{baby}/caregivers/{other_member}"),
            None,
        ),
        (Method::GET, format!("/api/v1/babies/{baby}/doses"), None),
        (
            Method::POST,
            format!("/api/v1/babies/{baby}/doses"),
            Some(dose_body.clone()),
        ),
        (
            Method::PUT,
            format!("/api/v1/babies/{baby}/doses/{dose}"),
            Some(dose_body),
        ),
        (
            Method::DELETE,
            format!("/api/v1/babies/{baby}/doses/{dose}"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/babies/{baby}/opt-ins"),
            Some(json!({"vaccines": ["PCV13"]})),
        ),
        (Method::GET, format!("/api/v1/babies/{baby}/schedule"), None),
        (
            Method::GET,
            format!("/api/v1/babies/{baby}/schedule?as_of=2026-05-01"),
            None,
        ),
        (Method::GET, format!("/api/v1/babies/{baby}/feed"), None),
    ]
}

#[actix_web::test]
async fn every_baby_route_answers_404_for_a_baby_of_another_family() {
    let mp = MpApp::spawn().await;
    let owner = mp.parent("o-owner").await;
    let stranger = mp.parent("o-stranger").await;
    let baby = mp.add_baby(&owner, "a", "2026-01-05").await;
    let (_, dose) = mp.add_dose(&owner, baby, "HepB", 1, "2026-01-05").await;
    let dose = dose["id"].as_i64().unwrap();
    let (_, before) = mp
        .get(&format!("/api/v1/babies/{baby}/doses"), &owner.token)
        .await;

    let routes = baby_routes(baby, dose, owner.id);
    assert_eq!(routes.len(), 14);
    for (method, path, body) in routes {
        let (s, b) = mp
            .call(method.clone(), &path, Some(&stranger.token), body.clone())
            .await;
        assert_eq!(error(s, &b), (404, "baby_not_found"), "{method} {path}");
        // Exactly what a baby that does not exist answers: ids leak nothing.
        let missing = path.replacen(&format!("/babies/{baby}"), "/babies/999999", 1);
        let (s2, b2) = mp
            .call(method.clone(), &missing, Some(&stranger.token), body)
            .await;
        assert_eq!((s2, &b2), (s, &b), "{method} {missing}");
    }
    // Nothing changed for the owner.
    let (_, after) = mp
        .get(&format!("/api/v1/babies/{baby}/doses"), &owner.token)
        .await;
    assert_eq!(after, before);
    let (_, list) = mp.get("/api/v1/babies", &stranger.token).await;
    assert_eq!(list, json!([]));
    let (s, _) = mp
        .get(&format!("/api/v1/babies/{baby}"), &owner.token)
        .await;
    assert_eq!(s, 200);
    mp.finish().await;
}

#[actix_web::test]
async fn an_invite_shares_a_baby_once_until_it_expires_and_the_owner_can_revoke() {
    let mp = MpApp::spawn().await;
    let mum = mp.parent("o-mum").await;
    let dad = mp.parent("o-dad").await;
    let grandma = mp.parent("o-grandma").await;
    let baby = mp.add_baby(&mum, "a", "2026-01-05").await;

    let (s, invite) = mp
        .post(
            &format!("/api/v1/babies/{baby}/invites"),
            &mum.token,
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{invite}");
    let code = invite["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 10);
    let expires: chrono::DateTime<chrono::Utc> =
        invite["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires - mp.now(), Duration::hours(72));

    // Dad accepts (the code is not case sensitive) and sees the baby as a caregiver.
    let (s, shared) = mp
        .post(
            "/api/v1/invites/accept",
            &dad.token,
            json!({"code": code.to_lowercase()}),
        )
        .await;
    assert_eq!(s, 200, "{shared}");
    assert_eq!(shared["id"], baby);
    assert_eq!(shared["role"], "caregiver");
    let (_, list) = mp.get("/api/v1/babies", &dad.token).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // Caregivers record doses; the owner sees them.
    assert_eq!(
        mp.add_dose(&dad, baby, "HepB", 1, "2026-01-05").await.0,
        201
    );
    let (_, doses) = mp
        .get(&format!("/api/v1/babies/{baby}/doses"), &mum.token)
        .await;
    assert_eq!(doses[0]["recorded_by"], dad.id);

    // Single use.
    let (s, b) = mp
        .post(
            "/api/v1/invites/accept",
            &grandma.token,
            json!({"code": code}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "invite_already_used"));
    let (s, b) = mp
        .post(
            "/api/v1/invites/accept",
            &grandma.token,
            json!({"code": "NOPE234567"}),
        )
        .await;
    assert_eq!(error(s, &b), (404, "invite_not_found"));

    // Only the owner invites, revokes and deletes.
    let (s, b) = mp
        .post(
            &format!("/api/v1/babies/{baby}/invites"),
            &dad.token,
            json!({}),
        )
        .await;
    assert_eq!(error(s, &b), (403, "owner_only"));
    let (s, b) = mp
        .delete(&format!("/api/v1/babies/{baby}"), &dad.token)
        .await;
    assert_eq!(error(s, &b), (403, "owner_only"));
    let (s, b) = mp
        .delete(
            &format!("/api/v1/babies/{baby}/caregivers/{}", mum.id),
            &dad.token,
        )
        .await;
    assert_eq!(error(s, &b), (403, "owner_only"));

    // Expiry: a second invite for grandma, accepted too late.
    let (_, late) = mp
        .post(
            &format!("/api/v1/babies/{baby}/invites"),
            &mum.token,
            json!({}),
        )
        .await;
    mp.app.clock.advance(Duration::hours(72));
    // Three days on, everyone's token has expired too: log in again.
    let (mum, dad, grandma) = (
        mp.login("o-mum").await,
        mp.login("o-dad").await,
        mp.login("o-grandma").await,
    );
    let (s, b) = mp
        .post(
            "/api/v1/invites/accept",
            &grandma.token,
            json!({"code": late["code"]}),
        )
        .await;
    assert_eq!(error(s, &b), (410, "invite_expired"));
    // A valid invite, but the newcomer has not consented to the privacy policy yet.
    let newcomer = mp.login("o-newcomer").await;
    let (_, fresh) = mp
        .post(
            &format!("/api/v1/babies/{baby}/invites"),
            &mum.token,
            json!({}),
        )
        .await;
    let (s, b) = mp
        .post(
            "/api/v1/invites/accept",
            &newcomer.token,
            json!({"code": fresh["code"]}),
        )
        .await;
    assert_eq!(error(s, &b), (403, "privacy_consent_required"));
    // Refused acceptances did not spend the code.
    let (s, b) = mp
        .post(
            "/api/v1/invites/accept",
            &grandma.token,
            json!({"code": fresh["code"]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = mp
        .post(
            "/api/v1/invites/accept",
            &mum.token,
            json!({"code": "ABCDEFGHJK"}),
        )
        .await;
    assert_eq!(error(s, &b), (404, "invite_not_found"));
    let (_, another) = mp
        .post(
            &format!("/api/v1/babies/{baby}/invites"),
            &mum.token,
            json!({}),
        )
        .await;
    let (s, b) = mp
        .post(
            "/api/v1/invites/accept",
            &dad.token,
            json!({"code": another["code"]}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "already_caregiver"));

    let (s, family) = mp
        .get(&format!("/api/v1/babies/{baby}/caregivers"), &dad.token)
        .await;
    assert_eq!(s, 200);
    let roles: Vec<(i64, &str)> = family
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["member_id"].as_i64().unwrap(),
                c["role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            (mum.id, "owner"),
            (dad.id, "caregiver"),
            (grandma.id, "caregiver")
        ]
    );

    // The owner revokes dad; dad no longer sees the baby. Grandma leaves by herself.
    let (s, _) = mp
        .delete(
            &format!("/api/v1/babies/{baby}/caregivers/{}", dad.id),
            &mum.token,
        )
        .await;
    assert_eq!(s, 204);
    let (s, b) = mp.get(&format!("/api/v1/babies/{baby}"), &dad.token).await;
    assert_eq!(error(s, &b), (404, "baby_not_found"));
    let (s, b) = mp
        .delete(
            &format!("/api/v1/babies/{baby}/caregivers/{}", dad.id),
            &mum.token,
        )
        .await;
    assert_eq!(error(s, &b), (404, "caregiver_not_found"));
    let (s, _) = mp
        .delete(
            &format!("/api/v1/babies/{baby}/caregivers/{}", grandma.id),
            &grandma.token,
        )
        .await;
    assert_eq!(s, 204);
    let (s, b) = mp
        .delete(
            &format!("/api/v1/babies/{baby}/caregivers/{}", mum.id),
            &mum.token,
        )
        .await;
    assert_eq!(error(s, &b), (409, "owner_cannot_leave"));
    // The doses dad recorded stay with the baby.
    let (_, doses) = mp
        .get(&format!("/api/v1/babies/{baby}/doses"), &mum.token)
        .await;
    assert_eq!(doses.as_array().unwrap().len(), 1);
    mp.finish().await;
}

#[actix_web::test]
async fn two_members_racing_for_one_invite_code_one_wins() {
    let mp = MpApp::spawn().await;
    let owner = mp.parent("o-owner").await;
    let baby = mp.add_baby(&owner, "a", "2026-01-05").await;
    let mut racers = Vec::new();
    for i in 0..6 {
        racers.push(mp.parent(&format!("o-racer-{i}")).await);
    }
    let (_, invite) = mp
        .post(
            &format!("/api/v1/babies/{baby}/invites"),
            &owner.token,
            json!({}),
        )
        .await;
    let code = invite["code"].as_str().unwrap().to_owned();
    let attempts = racers.iter().map(|r| {
        mp.post(
            "/api/v1/invites/accept",
            &r.token,
            json!({"code": code.clone()}),
        )
    });
    let results = futures_util::future::join_all(attempts).await;
    let won = results.iter().filter(|(s, _)| *s == 200).count();
    let lost = results
        .iter()
        .filter(|(s, b)| error(*s, b) == (409, "invite_already_used"))
        .count();
    assert_eq!((won, lost), (1, 5), "{results:?}");
    let (_, family) = mp
        .get(&format!("/api/v1/babies/{baby}/caregivers"), &owner.token)
        .await;
    assert_eq!(family.as_array().unwrap().len(), 2);
    mp.finish().await;
}

#[actix_web::test]
async fn a_caregiver_revoked_a_moment_earlier_cannot_write() {
    use babyvax::service::care::access::lock_for_update;
    use entity::{baby_caregivers, doses};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};

    let mp = MpApp::spawn().await;
    let mum = mp.parent("o-mum").await;
    let dad = mp.parent("o-dad").await;
    let baby = mp.add_baby(&mum, "a", "2026-01-05").await;
    let (_, invite) = mp
        .post(
            &format!("/api/v1/babies/{baby}/invites"),
            &mum.token,
            json!({}),
        )
        .await;
    let (s, b) = mp
        .post(
            "/api/v1/invites/accept",
            &dad.token,
            json!({"code": invite["code"]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    // Another instance revokes dad: it holds the baby's lock and has deleted his link, not yet
    // committed.
    let other = mp.app.database.connect().await;
    let revoke = other.begin().await.unwrap();
    lock_for_update(&revoke, baby as i32, mp.now())
        .await
        .unwrap();
    let unlinked = baby_caregivers::Entity::delete_many()
        .filter(baby_caregivers::Column::BabyId.eq(baby as i32))
        .filter(baby_caregivers::Column::MemberId.eq(dad.id as i32))
        .exec(&revoke)
        .await
        .unwrap();
    assert_eq!(unlinked.rows_affected, 1);

    // Dad records a dose meanwhile: his request waits for the lock ...
    let request = mp
        .app
        .http
        .post(format!("{}/api/v1/babies/{baby}/doses", mp.app.address))
        .bearer_auth(&dad.token)
        .json(&json!({"vaccine": "HepB", "dose": 1, "date": "2026-01-05"}))
        .send();
    let mut pending = tokio::spawn(request);
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(500), &mut pending)
            .await
            .is_err(),
        "the write must wait for the baby's lock"
    );
    // ... and once the revocation commits, is checked against it.
    revoke.commit().await.unwrap();
    let response = pending.await.unwrap().unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(error(status, &body), (404, "baby_not_found"), "{body}");
    let written = doses::Entity::find()
        .filter(doses::Column::BabyId.eq(baby as i32))
        .count(&mp.app.db)
        .await
        .unwrap();
    assert_eq!(written, 0);
    other.close().await.unwrap();
    mp.finish().await;
}
