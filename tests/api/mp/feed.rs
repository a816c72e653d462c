//! The feed: stage content and articles by age (corrected for prematurity), what comes next,
//! and the doses coming up with the articles that go with them.

use serde_json::{Value, json};

use crate::mp::support::{MpApp, error};

fn ids<'a>(items: &'a Value, key: &str) -> Vec<&'a str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_str().unwrap())
        .collect()
}

#[actix_web::test]
async fn a_six_month_old_gets_solids_now_standing_next_and_fever_care_before_dtap() {
    let mp = MpApp::spawn().await;
    let parent = mp.parent("o-1").await;
    let baby = mp.add_baby(&parent, "小米", "2025-09-05").await;
    for (vaccine, number, date) in [
        ("HepB", 1, "2025-09-05"),
        ("BCG", 1, "2025-09-05"),
        ("HepB", 2, "2025-10-05"),
        ("Polio", 1, "2025-11-05"),
        ("DTaP", 1, "2025-11-05"),
        ("Polio", 2, "2025-12-05"),
        ("DTaP", 2, "2026-01-05"),
        ("Polio", 3, "2026-01-05"),
    ] {
        assert_eq!(
            mp.add_dose(&parent, baby, vaccine, number, date).await.0,
            201
        );
    }
    let (s, feed) = mp
        .get(&format!("/api/v1/babies/{baby}/feed"), &parent.token)
        .await;
    assert_eq!(s, 200, "{feed}");
    assert_eq!(feed["as_of"], "2026-03-10");
    assert_eq!(
        feed["age"],
        json!({"days": 186, "months": 6, "content_age_days": 186, "corrected_for_prematurity": false})
    );

    let now = ids(&feed["stages_now"], "id");
    for expected in [
        "feeding_start_solids",
        "motor_sitting_without_support",
        "motor_hands_and_knees_crawling",
        "popular_oral",
    ] {
        assert!(now.contains(&expected), "{expected} not in {now:?}");
    }
    assert!(!now.contains(&"feeding_exclusive_milk"), "{now:?}");
    let solids = feed["stages_now"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "feeding_start_solids")
        .unwrap();
    assert_eq!(
        (&solids["starts_on"], &solids["ends_on"]),
        (&json!("2026-03-05"), &json!("2026-06-04"))
    );
    assert_eq!(solids["verification"], "verified");
    assert!(
        solids["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == "WHO_CF_2023")
    );

    // Within 60 days: standing alone (6 months 27 days, 2026-04-01); walking alone starts later.
    let next = ids(&feed["stages_next"], "id");
    assert!(next.contains(&"motor_standing_alone"), "{next:?}");
    assert!(!next.contains(&"motor_walking_alone"), "{next:?}");

    let articles_now = ids(&feed["articles_now"], "slug");
    assert_eq!(articles_now, ["first-solid-foods", "toddler-home-safety"]);
    assert_eq!(feed["articles_now"][0]["author"]["verified_expert"], false);
    assert_eq!(feed["articles_next"], json!([]));

    // Due now: the 6-month doses. MMR (8 months) is beyond the 30-day horizon.
    let upcoming: Vec<(String, u64)> = feed["upcoming_doses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["vaccine"].as_str().unwrap().to_owned(),
                d["dose"].as_u64().unwrap(),
            )
        })
        .collect();
    for expected in [("HepB", 3), ("DTaP", 3), ("MPSV-A", 1)] {
        assert!(
            upcoming.contains(&(expected.0.to_owned(), expected.1)),
            "{expected:?} not in {upcoming:?}"
        );
    }
    assert!(!upcoming.iter().any(|(v, _)| v == "MMR"), "{upcoming:?}");
    let dtap3 = feed["upcoming_doses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["vaccine"] == "DTaP")
        .unwrap();
    assert_eq!(dtap3["status"], "due");
    assert_eq!(
        ids(&dtap3["articles"], "slug"),
        ["dtap-what-to-expect", "fever-after-vaccination"]
    );
    let hepb3 = feed["upcoming_doses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["vaccine"] == "HepB")
        .unwrap();
    assert_eq!(
        ids(&hepb3["articles"], "slug"),
        ["newborn-hepb-bcg", "fever-after-vaccination"]
    );

    // Articles open in full.
    let fever = dtap3["articles"][1]["id"].as_i64().unwrap();
    let (s, article) = mp
        .get(&format!("/api/v1/articles/{fever}"), &parent.token)
        .await;
    assert_eq!(s, 200);
    assert!(article["body"].as_str().unwrap().contains("30分钟"));
    let (s, b) = mp.get("/api/v1/articles/999999", &parent.token).await;
    assert_eq!(error(s, &b), (404, "article_not_found"));
    mp.finish().await;
}

#[actix_web::test]
async fn a_newborn_gets_milk_feeding_and_the_birth_doses() {
    let mp = MpApp::spawn().await;
    let parent = mp.parent("o-1").await;
    let baby = mp.add_baby(&parent, "a", "2026-03-08").await;
    let (s, feed) = mp
        .get(&format!("/api/v1/babies/{baby}/feed"), &parent.token)
        .await;
    assert_eq!(s, 200, "{feed}");
    assert_eq!(feed["age"]["days"], 2);
    assert!(ids(&feed["stages_now"], "id").contains(&"feeding_exclusive_milk"));
    assert_eq!(feed["articles_now"], json!([]));
    let first: Vec<&str> = feed["upcoming_doses"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|d| d["vaccine"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["HepB", "BCG"]);
    assert_eq!(feed["upcoming_doses"][0]["status"], "overdue");
    assert_eq!(
        ids(&feed["upcoming_doses"][1]["articles"], "slug"),
        ["newborn-hepb-bcg", "fever-after-vaccination"]
    );
    mp.finish().await;
}

#[actix_web::test]
async fn a_preterm_baby_gets_content_by_corrected_age_and_doses_by_chronological_age() {
    let mp = MpApp::spawn().await;
    let parent = mp.parent("o-1").await;
    let (s, baby) = mp
        .post(
            "/api/v1/babies",
            &parent.token,
            json!({"name": "早早", "birth_date": "2025-09-05", "preterm_weeks": 8}),
        )
        .await;
    assert_eq!(s, 201, "{baby}");
    let (_, feed) = mp
        .get(
            &format!("/api/v1/babies/{}/feed", baby["id"]),
            &parent.token,
        )
        .await;
    assert_eq!(
        feed["age"],
        json!({"days": 186, "months": 6, "content_age_days": 130, "corrected_for_prematurity": true})
    );
    let now = ids(&feed["stages_now"], "id");
    assert!(now.contains(&"feeding_exclusive_milk"), "{now:?}");
    assert!(!now.contains(&"feeding_start_solids"), "{now:?}");
    let next = &feed["stages_next"];
    let solids = next
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "feeding_start_solids")
        .expect("solids come next");
    assert_eq!(solids["starts_on"], "2026-04-30");
    // Doses follow the chronological age: the 6-month doses are due.
    assert!(
        feed["upcoming_doses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["vaccine"] == "DTaP" && d["dose"] == 3 && d["status"] == "due")
    );
    mp.finish().await;
}
