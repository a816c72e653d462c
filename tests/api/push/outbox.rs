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

#[actix_web::test]
async fn enqueue_by_kind_counts_new_rows_by_kind_and_held_across_inserts() {
    let p = PushApp::spawn().await;
    let member = p.family("mp-1", Some("oa-1"), true, 0).await;
    let db = &p.app.db;
    // Already there, with what it had: its key falls in the second INSERT of the call below.
    let mut earlier = message("c-1500", Recipient::Member(member), None);
    earlier.payload = serde_json::json!({"title": "earlier"});
    assert_eq!(
        outbox::enqueue(db, vec![earlier], p.now()).await.unwrap(),
        1
    );

    // Three INSERTs' worth (1,000 messages each): every tenth held, every third a stage.
    let shape = |i: usize| {
        let kind = if i.is_multiple_of(3) {
            "stage"
        } else {
            "campaign"
        };
        (kind, i.is_multiple_of(10))
    };
    let mut batch: Vec<NewMessage> = (0..2100)
        .map(|i| {
            let (kind, held) = shape(i);
            let mut m = message(
                &format!("c-{i}"),
                Recipient::Member(member),
                held.then_some("preferences"),
            );
            m.kind = kind.into();
            m
        })
        .collect();
    // A key twice in one call goes in once.
    batch.push(message("c-7", Recipient::Member(member), None));
    let later = crate::push::support::at("2026-01-11", 9, 0);
    batch[2051].not_before = later;

    let mut expected = outbox::Added::new();
    for i in (0..2100).filter(|i| *i != 1500) {
        let (kind, held) = shape(i);
        *expected.entry((kind.to_owned(), held)).or_default() += 1;
    }
    let added = outbox::enqueue_by_kind(db, batch, p.now()).await.unwrap();
    assert_eq!(added, expected);
    assert_eq!(added.values().sum::<u64>(), 2099);

    let rows = p.rows().await;
    assert_eq!(rows.len(), 2100);
    let of = |key: &str| rows.iter().find(|r| r.dedup_key == key).unwrap();
    let kept = of("c-1500");
    assert_eq!(
        (
            kept.kind.as_str(),
            kept.status.as_str(),
            kept.payload.as_str()
        ),
        ("campaign", "pending", r#"{"title":"earlier"}"#)
    );
    let held = of("c-2040");
    assert_eq!(
        (held.kind.as_str(), held.status.as_str()),
        ("stage", "suppressed")
    );
    assert_eq!(held.last_error.as_deref(), Some("preferences"));
    let last = of("c-2051");
    assert_eq!(
        (last.status.as_str(), last.payload.as_str(), last.not_before),
        ("pending", r#"{"title":"c-2051"}"#, later)
    );
    assert_eq!((last.created_at, last.updated_at), (p.now(), p.now()));
    assert_eq!(
        (
            last.attempts,
            last.allowance_taken,
            last.claimed_by.as_deref()
        ),
        (0, false, None)
    );
    assert_eq!(of("c-7").kind, "campaign");

    // Nothing new: an empty answer, and nothing at all to insert.
    let again = vec![message("c-1", Recipient::Member(member), None)];
    assert!(
        outbox::enqueue_by_kind(db, again, p.now())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        outbox::enqueue_by_kind(db, Vec::new(), p.now())
            .await
            .unwrap()
            .is_empty()
    );
    // A kind the sender does not know is refused, and nothing of the call goes in.
    let mut unknown = message("c-unknown", Recipient::Member(member), None);
    unknown.kind = "nonsense".into();
    let fine = message("c-fine", Recipient::Member(member), None);
    assert!(
        outbox::enqueue_by_kind(db, vec![fine, unknown], p.now())
            .await
            .is_err()
    );
    assert_eq!(p.rows().await.len(), 2100);
    p.finish().await;
}
