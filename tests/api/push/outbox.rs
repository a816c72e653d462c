//! The outbox's one way in: `enqueue` fills in what every new message starts with, skips dedup
//! keys already there, and answers how many rows were new.

use babyvax::domain::push::DoseRef;
use babyvax::service::messaging::outbox::{self, About, NewMessage, Recipient};

use crate::push::support::{PushApp, d};

fn message(key: &str, recipient: Recipient, held: Option<&str>) -> NewMessage {
    NewMessage {
        dedup_key: key.into(),
        kind: "campaign".into(),
        recipient,
        payload: serde_json::json!({"title": key}),
        planned_for: d("2026-01-10"),
        not_before: crate::push::support::at("2026-01-10", 12, 0),
        held: held.map(str::to_owned),
        about: About::default(),
    }
}

#[actix_web::test]
async fn enqueue_adds_new_keys_only_and_answers_how_many_were_new() {
    let p = PushApp::spawn().await;
    let member = p.family("mp-1", Some("oa-1"), true, 0).await;
    let baby = p.baby(member, "小米", "2026-01-10").await;
    let db = &p.app.db;

    let first = vec![
        message("k-1", Recipient::Member(member), None),
        message("k-2", Recipient::Member(member), Some("preferences")),
    ];
    assert_eq!(outbox::enqueue(db, first, p.now()).await.unwrap(), 2);
    // A key already there is left out (the row keeps what it had), a new one goes in.
    let mut again = message("k-1", Recipient::Member(member), Some("changed"));
    again.payload = serde_json::json!({"title": "changed"});
    let mut reminder = message("k-3", Recipient::Member(member), None);
    reminder.kind = "due_today".into();
    reminder.about = About {
        baby_id: Some(baby),
        doses: DoseRef::parse_list("Polio:1,DTaP:1").unwrap(),
        event_date: Some(d("2026-03-10")),
        ..About::default()
    };
    assert_eq!(
        outbox::enqueue(db, vec![again, reminder], p.now())
            .await
            .unwrap(),
        1
    );

    let rows = p.rows().await;
    let of = |key: &str| rows.iter().find(|r| r.dedup_key == key).unwrap();
    let k1 = of("k-1");
    assert_eq!(
        (
            k1.status.as_str(),
            k1.payload.as_str(),
            k1.last_error.as_deref()
        ),
        ("pending", r#"{"title":"k-1"}"#, None)
    );
    assert_eq!(
        (k1.attempts, k1.allowance_taken, k1.channel.as_deref()),
        (0, false, None)
    );
    assert_eq!(k1.not_before, crate::push::support::at("2026-01-10", 12, 0));
    let k2 = of("k-2");
    assert_eq!(
        (k2.status.as_str(), k2.last_error.as_deref()),
        ("suppressed", Some("preferences"))
    );
    let k3 = of("k-3");
    assert_eq!(k3.doses.as_deref(), Some("Polio:1,DTaP:1"));
    assert_eq!((k3.vaccine.as_deref(), k3.dose), (None, None), "two doses");
    assert_eq!((k3.baby_id, k3.member_id), (Some(baby), Some(member)));

    // Many at once: more than one INSERT's worth.
    let many: Vec<NewMessage> = (0..450)
        .map(|i| message(&format!("m-{i}"), Recipient::Member(member), None))
        .collect();
    assert_eq!(outbox::enqueue(db, many, p.now()).await.unwrap(), 450);
    p.finish().await;
}
