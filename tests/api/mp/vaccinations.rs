//! Recording doses (and what is refused), the schedule of a known history, self-paid opt-ins,
//! and the `next_event_date` kept on the baby.

use entity::babies;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::mp::support::{Member, MpApp, error};

fn dose<'a>(schedule: &'a Value, vaccine: &str, number: u64) -> &'a Value {
    schedule["doses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["vaccine"] == vaccine && d["dose"] == number)
        .unwrap_or_else(|| panic!("{vaccine} dose {number} not in {schedule}"))
}

async fn stored_next_event(mp: &MpApp, baby: i64) -> Option<String> {
    babies::Entity::find_by_id(baby as i32)
        .one(&mp.app.db)
        .await
        .unwrap()
        .unwrap()
        .next_event_date
        .map(|d| d.to_string())
}

#[actix_web::test]
async fn doses_are_validated_and_duplicates_refused() {
    let mp = MpApp::spawn().await;
    let parent = mp.parent("o-1").await;
    let baby = mp.add_baby(&parent, "a", "2026-01-05").await;

    let (s, first) = mp.add_dose(&parent, baby, "HepB", 1, "2026-01-05").await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["name_zh"], "乙肝疫苗");
    assert_eq!(first["recorded_by"], parent.id);
    for (vaccine, number, date, expected) in [
        ("HepB", 2, "2026-01-04", (400, "dose_before_birth")),
        ("HepB", 2, "2026-03-11", (400, "dose_in_future")),
        ("Flu-X", 1, "2026-02-05", (400, "unknown_vaccine")),
        ("HepB", 4, "2026-02-05", (400, "unknown_dose")),
        ("HepB", 0, "2026-02-05", (400, "unknown_dose")),
        ("HepB", 1, "2026-01-06", (409, "duplicate_dose")),
    ] {
        let (s, b) = mp.add_dose(&parent, baby, vaccine, number, date).await;
        assert_eq!(error(s, &b), expected, "{vaccine} {number} {date}");
    }
    let (s, b) = mp
        .post(
            &format!("/api/v1/babies/{baby}/doses"),
            &parent.token,
            json!({"vaccine": "HepB", "dose": 2, "date": "2026-02-05", "clinic": "x".repeat(51)}),
        )
        .await;
    assert_eq!(error(s, &b), (400, "invalid_clinic"));
    let (s, b) = mp
        .post(
            &format!("/api/v1/babies/{baby}/doses"),
            &parent.token,
            json!({"vaccine": "HepB", "dose": 2}),
        )
        .await;
    assert_eq!(error(s, &b), (400, "invalid_json"));
    // A body is a JSON object, whose numbers are JSON's: 2.0 is the integer 2, 2.5 is not one.
    let dose_path = format!("/api/v1/babies/{baby}/doses");
    for body in [
        json!(["HepB", 2, "2026-02-05"]),
        json!({"vaccine": "HepB", "dose": 2.5, "date": "2026-02-05"}),
    ] {
        let (s, b) = mp.post(&dose_path, &parent.token, body.clone()).await;
        assert_eq!(error(s, &b), (400, "invalid_json"), "{body}");
    }
    let (s, b) = mp
        .post(
            &dose_path,
            &parent.token,
            json!({"vaccine": "HepB", "dose": 2.0, "date": "2026-02-05"}),
        )
        .await;
    assert_eq!((s, &b["dose"]), (201, &json!(2)), "{b}");

    // A combination product fills doses of several vaccines: DTaP dose 1 cannot be filled twice.
    assert_eq!(
        mp.add_dose(&parent, baby, "DTaP", 1, "2026-03-05").await.0,
        201
    );
    let (s, b) = mp
        .add_dose(&parent, baby, "DTaP-IPV/Hib", 1, "2026-03-05")
        .await;
    assert_eq!(error(s, &b), (409, "duplicate_dose"));
    // A product is a fine record on its own.
    let (s, ipv) = mp.add_dose(&parent, baby, "IPV", 1, "2026-03-05").await;
    assert_eq!(s, 201, "{ipv}");
    assert_eq!(ipv["name_zh"].as_str().map(|n| !n.is_empty()), Some(true));

    let (s, list) = mp
        .get(&format!("/api/v1/babies/{baby}/doses"), &parent.token)
        .await;
    assert_eq!(s, 200);
    let records: Vec<(String, i64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["vaccine"].as_str().unwrap().to_owned(),
                d["dose"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        records,
        [
            ("HepB".into(), 1),
            ("HepB".into(), 2),
            ("DTaP".into(), 1),
            ("IPV".into(), 1)
        ]
    );
    mp.finish().await;
}

#[actix_web::test]
async fn doses_are_corrected_and_deleted_and_the_next_event_follows() {
    let mp = MpApp::spawn().await;
    let parent = mp.parent("o-1").await;
    let baby = mp.add_baby(&parent, "a", "2025-09-15").await;
    let path = format!("/api/v1/babies/{baby}/doses");
    let (_, hepb1) = mp.add_dose(&parent, baby, "HepB", 1, "2025-09-15").await;
    let (_, hepb2) = mp.add_dose(&parent, baby, "HepB", 2, "2025-10-20").await;
    let hepb2 = hepb2["id"].as_i64().unwrap();

    // HepB 3 waits for 6 months (2026-03-15): the next change of the schedule.
    assert_eq!(
        stored_next_event(&mp, baby).await.as_deref(),
        Some("2026-03-15")
    );

    let (s, corrected) = mp
        .put(
            &format!("{path}/{hepb2}"),
            &parent.token,
            json!({"vaccine": "HepB", "dose": 2, "date": "2025-10-25", "clinic": "社区卫生服务中心"}),
        )
        .await;
    assert_eq!(s, 200, "{corrected}");
    assert_eq!(corrected["date"], "2025-10-25");
    assert_eq!(corrected["clinic"], "社区卫生服务中心");
    let (s, b) = mp
        .put(
            &format!("{path}/{hepb2}"),
            &parent.token,
            json!({"vaccine": "HepB", "dose": 1, "date": "2025-10-25"}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "duplicate_dose"));
    let (s, b) = mp
        .put(
            &format!("{path}/{hepb2}"),
            &parent.token,
            json!({"vaccine": "HepB", "dose": 2, "date": "2026-04-01"}),
        )
        .await;
    assert_eq!(error(s, &b), (400, "dose_in_future"));
    let (s, b) = mp
        .put(
            &format!("{path}/999999"),
            &parent.token,
            json!({"vaccine": "HepB", "dose": 2, "date": "2025-10-25"}),
        )
        .await;
    assert_eq!(error(s, &b), (404, "dose_not_found"));

    // Deleting doses changes what is due; the stored next event follows the recomputed schedule.
    let (s, _) = mp.delete(&format!("{path}/{hepb2}"), &parent.token).await;
    assert_eq!(s, 204);
    let (s, b) = mp.delete(&format!("{path}/{hepb2}"), &parent.token).await;
    assert_eq!(error(s, &b), (404, "dose_not_found"));
    let (s, _) = mp
        .delete(&format!("{path}/{}", hepb1["id"]), &parent.token)
        .await;
    assert_eq!(s, 204);
    let (_, list) = mp.get(&path, &parent.token).await;
    assert_eq!(list, json!([]));
    let (_, schedule) = mp
        .get(&format!("/api/v1/babies/{baby}/schedule"), &parent.token)
        .await;
    assert!(schedule["next_event_date"].is_string(), "{schedule}");
    assert_eq!(
        stored_next_event(&mp, baby).await.as_deref(),
        schedule["next_event_date"].as_str()
    );
    mp.finish().await;
}

async fn known_history(mp: &MpApp, parent: &Member) -> i64 {
    let baby = mp.add_baby(parent, "小米", "2025-09-15").await;
    for (vaccine, number, date) in [
        ("HepB", 1, "2025-09-15"),
        ("BCG", 1, "2025-09-15"),
        ("HepB", 2, "2025-10-20"),
        ("IPV", 1, "2025-11-15"),
        ("DTaP", 1, "2025-11-15"),
        ("Polio", 2, "2025-12-20"),
        ("DTaP", 2, "2026-01-20"),
    ] {
        let (s, b) = mp.add_dose(parent, baby, vaccine, number, date).await;
        assert_eq!(s, 201, "{vaccine} {number}: {b}");
    }
    baby
}

#[actix_web::test]
async fn the_schedule_of_a_known_history() {
    let mp = MpApp::spawn().await;
    let parent = mp.parent("o-1").await;
    let baby = known_history(&mp, &parent).await;

    // Today is 2026-03-10 in Asia/Shanghai.
    let (s, schedule) = mp
        .get(&format!("/api/v1/babies/{baby}/schedule"), &parent.token)
        .await;
    assert_eq!(s, 200, "{schedule}");
    assert_eq!(schedule["as_of"], "2026-03-10");
    assert_eq!(schedule["edition"], "nip-2026");
    assert_eq!(schedule["baby_id"], baby);

    let hepb1 = dose(&schedule, "HepB", 1);
    assert_eq!(
        (&hepb1["status"], &hepb1["given_on"]),
        (&json!("done"), &json!("2025-09-15"))
    );
    // IPV counts as polio dose 1.
    let polio1 = dose(&schedule, "Polio", 1);
    assert_eq!(
        (&polio1["status"], &polio1["given_on"]),
        (&json!("done"), &json!("2025-11-15"))
    );

    // HepB 3: 6 months (2026-03-15) is later than 60 days after dose 2 and 4 months after dose 1.
    let hepb3 = dose(&schedule, "HepB", 3);
    assert_eq!(hepb3["status"], "not_yet_due");
    assert_eq!(hepb3["earliest"], "2026-03-15");
    assert_eq!(hepb3["recommended"], "2026-03-15");
    assert_eq!(hepb3["complete_by"], "2026-09-14");
    assert_eq!(hepb3["reason"], Value::Null);
    assert_eq!(hepb3["programme"], "nip");

    // Polio 3: 4 months would be 2026-01-15, but 28 days after dose 2 (2025-12-20) is 01-17.
    let polio3 = dose(&schedule, "Polio", 3);
    assert_eq!(polio3["status"], "due");
    assert_eq!(polio3["earliest"], "2026-01-17");
    assert_eq!(polio3["recommended"], "2026-01-17");
    assert_eq!(polio3["complete_by"], "2026-09-14");
    assert_eq!(polio3["reason_code"], "min_interval");
    assert!(polio3["reason"].as_str().unwrap().contains("Polio dose 2"));

    let dtap3 = dose(&schedule, "DTaP", 3);
    assert_eq!(
        (&dtap3["status"], &dtap3["earliest"], &dtap3["complete_by"]),
        (
            &json!("not_yet_due"),
            &json!("2026-03-15"),
            &json!("2026-09-14")
        )
    );
    let mmr1 = dose(&schedule, "MMR", 1);
    assert_eq!(
        (&mmr1["status"], &mmr1["recommended"]),
        (&json!("not_yet_due"), &json!("2026-05-15"))
    );
    // JE-I is the non-default alternative to JE-L.
    assert_eq!(dose(&schedule, "JE-I", 1)["status"], "not_applicable");
    assert_eq!(
        dose(&schedule, "JE-I", 1)["reason_code"],
        "alternative_chosen"
    );
    // Self-paid vaccines are not in the schedule until opted in.
    assert!(
        schedule["doses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["programme"] != "self_paid")
    );

    assert_eq!(schedule["next_event_date"], "2026-03-15");
    assert_eq!(
        stored_next_event(&mp, baby).await.as_deref(),
        Some("2026-03-15")
    );

    // As of another day: past complete-by, polio 3 is overdue with a catch-up reason.
    let (s, later) = mp
        .get(
            &format!("/api/v1/babies/{baby}/schedule?as_of=2026-09-20"),
            &parent.token,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(later["as_of"], "2026-09-20");
    let polio3 = dose(&later, "Polio", 3);
    assert_eq!(
        (&polio3["status"], &polio3["reason_code"]),
        (&json!("overdue"), &json!("catch_up"))
    );
    let (s, early) = mp
        .get(
            &format!("/api/v1/babies/{baby}/schedule?as_of=2025-09-15"),
            &parent.token,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(dose(&early, "HepB", 1)["status"], "done");
    assert_eq!(dose(&early, "Polio", 3)["status"], "not_yet_due");

    let (s, b) = mp
        .get(
            &format!("/api/v1/babies/{baby}/schedule?as_of=2026-13-01"),
            &parent.token,
        )
        .await;
    assert_eq!(error(s, &b), (400, "invalid_query"));
    mp.finish().await;
}

#[actix_web::test]
async fn opted_in_self_paid_vaccines_join_the_schedule() {
    let mp = MpApp::spawn().await;
    let parent = mp.parent("o-1").await;
    let baby = known_history(&mp, &parent).await;
    let opt_ins = format!("/api/v1/babies/{baby}/opt-ins");

    let (s, b) = mp
        .put(
            &opt_ins,
            &parent.token,
            json!({"vaccines": ["PCV13", "EV71", "PCV13"]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["vaccines"], json!(["EV71", "PCV13"]));
    let (_, schedule) = mp
        .get(&format!("/api/v1/babies/{baby}/schedule"), &parent.token)
        .await;
    let pcv1 = dose(&schedule, "PCV13", 1);
    assert_eq!(pcv1["programme"], "self_paid");
    assert_eq!(pcv1["recommended"], "2025-11-15");
    assert_eq!(dose(&schedule, "PCV13", 4)["programme"], "self_paid");
    assert_eq!(dose(&schedule, "EV71", 1)["recommended"], "2026-03-15");
    assert!(
        schedule["doses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["vaccine"] != "Hib"),
        "Hib is not opted in"
    );
    let (_, shown) = mp
        .get(&format!("/api/v1/babies/{baby}"), &parent.token)
        .await;
    assert_eq!(shown["opt_ins"], json!(["EV71", "PCV13"]));
    // The next event is the earliest change among all scheduled doses, opt-ins included.
    assert!(b["next_event_date"].is_string(), "{b}");
    assert_eq!(b["next_event_date"], schedule["next_event_date"]);

    for (vaccines, code) in [
        (json!(["HepB"]), "vaccine_not_optional"),
        (json!(["IPV"]), "vaccine_not_optional"),
        (json!(["Flu-X"]), "unknown_vaccine"),
        (
            json!((0..21).map(|i| format!("v{i}")).collect::<Vec<_>>()),
            "too_many_opt_ins",
        ),
    ] {
        let (s, b) = mp
            .put(&opt_ins, &parent.token, json!({ "vaccines": vaccines }))
            .await;
        assert_eq!(error(s, &b), (400, code), "{vaccines}");
    }
    // A recorded self-paid dose keeps its vaccine in the schedule after opting out.
    assert_eq!(
        mp.add_dose(&parent, baby, "PCV13", 1, "2025-11-20").await.0,
        201
    );
    let (s, b) = mp
        .put(&opt_ins, &parent.token, json!({"vaccines": []}))
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, schedule) = mp
        .get(&format!("/api/v1/babies/{baby}/schedule"), &parent.token)
        .await;
    assert_eq!(dose(&schedule, "PCV13", 1)["status"], "done");
    assert!(
        schedule["doses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["vaccine"] != "EV71")
    );

    let (s, catalogue) = mp.get("/api/v1/vaccines", &parent.token).await;
    assert_eq!(s, 200);
    let pcv = catalogue["vaccines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "PCV13")
        .unwrap();
    assert_eq!((&pcv["optional"], &pcv["doses"]), (&json!(true), &json!(4)));
    mp.finish().await;
}

/// The schedule reads the member, their link to the baby, the baby and its history in one
/// statement, cached nowhere: each change, also one made by another instance on its own
/// connection, shows on the very next request.
#[actix_web::test]
async fn the_schedule_follows_links_history_and_erasure_on_the_next_request() {
    use entity::baby_caregivers;
    use sea_orm::{ColumnTrait, QueryFilter};

    let mp = MpApp::spawn().await;
    let mum = mp.parent("o-mum").await;
    let dad = mp.parent("o-dad").await;
    let baby = mp.add_baby(&mum, "a", "2026-01-05").await;
    let path = format!("/api/v1/babies/{baby}/schedule");

    // No history at all: the baby's row alone.
    let (s, empty) = mp.get(&path, &mum.token).await;
    assert_eq!(s, 200, "{empty}");
    assert_eq!(empty["baby_id"], baby);
    let doses = empty["doses"].as_array().unwrap();
    assert!(!doses.is_empty());
    assert!(doses.iter().all(|d| d["given_on"].is_null()), "{empty}");
    assert!(doses.iter().all(|d| d["vaccine"] != "PCV13"), "{empty}");

    // Opt-ins without doses, then a dose: each is in the next answer.
    let (s, b) = mp
        .put(
            &format!("/api/v1/babies/{baby}/opt-ins"),
            &mum.token,
            json!({"vaccines": ["PCV13"]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, opted) = mp.get(&path, &mum.token).await;
    assert_eq!(dose(&opted, "PCV13", 1)["programme"], "self_paid");
    assert!(dose(&opted, "HepB", 1)["given_on"].is_null());
    assert_eq!(
        mp.add_dose(&mum, baby, "HepB", 1, "2026-01-05").await.0,
        201
    );
    let (_, mums) = mp.get(&path, &mum.token).await;
    assert_eq!(dose(&mums, "HepB", 1)["given_on"], "2026-01-05");
    assert_eq!(dose(&mums, "HepB", 1)["status"], "done");
    assert_eq!(dose(&mums, "PCV13", 1)["programme"], "self_paid");

    // Dad is not linked: 404 as for any baby of another family, and for one that does not exist.
    let (s, b) = mp.get(&path, &dad.token).await;
    assert_eq!(error(s, &b), (404, "baby_not_found"));
    let (s, b) = mp.get("/api/v1/babies/999999/schedule", &dad.token).await;
    assert_eq!(error(s, &b), (404, "baby_not_found"));

    // Linked by an invite: the next request answers mum's schedule, byte for byte.
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
    let (s, dads) = mp.get(&path, &dad.token).await;
    assert_eq!(s, 200, "{dads}");
    assert_eq!(dads, mums);

    // Another instance unlinks dad: his very next request is refused.
    let other = mp.app.database.connect().await;
    let unlinked = baby_caregivers::Entity::delete_many()
        .filter(baby_caregivers::Column::BabyId.eq(baby as i32))
        .filter(baby_caregivers::Column::MemberId.eq(dad.id as i32))
        .exec(&other)
        .await
        .unwrap();
    assert_eq!(unlinked.rows_affected, 1);
    let (s, b) = mp.get(&path, &dad.token).await;
    assert_eq!(error(s, &b), (404, "baby_not_found"));

    // Mum erases her account: her token names no one, for her baby (gone with her) and for any
    // other id, before anything says whether a baby exists.
    let (s, b) = mp.delete("/api/v1/me", &mum.token).await;
    assert_eq!(s, 200, "{b}");
    for other_path in [path.as_str(), "/api/v1/babies/999999/schedule"] {
        let (s, b) = mp.get(other_path, &mum.token).await;
        assert_eq!(error(s, &b), (401, "member_not_found"), "{other_path}");
    }
    // A bad token is refused before the member is read.
    let (s, b) = mp.get(&path, "not-a-token").await;
    assert_eq!(error(s, &b), (401, "invalid_token"));
    mp.finish().await;
}
