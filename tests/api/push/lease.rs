//! One instance plans, all send: the planner's lease, its renewal and its takeover when the
//! holder dies.

use std::time::Duration;

use babyvax::jobs::push::{self as push_jobs, PLANNER_LEASE, PushWorkers};
use babyvax::service::push::lease;
use babyvax::startup;
use entity::job_leases;
use sea_orm::EntityTrait;

use super::support::PushApp;

fn workers(push: &PushApp) -> PushWorkers {
    let state = startup::build_state(
        (*push.settings).clone(),
        push.app.db.clone(),
        push.app.clock.clone(),
    )
    .expect("state");
    push_jobs::spawn_with(&state, Duration::from_millis(20)).expect("workers start")
}

/// Waits (polling) until `done` holds; panics after ten seconds.
async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("condition not reached");
}

#[actix_web::test]
async fn a_lease_is_held_by_one_holder_until_it_runs_out() {
    let push = PushApp::spawn().await;
    let db = &push.app.db;
    let ttl = chrono::Duration::minutes(10);
    let now = push.now();
    assert!(lease::acquire(db, "job", "a", now, ttl).await.unwrap());
    assert!(!lease::acquire(db, "job", "b", now, ttl).await.unwrap());
    // The holder renews; the other still waits.
    let later = now + chrono::Duration::minutes(9);
    assert!(lease::acquire(db, "job", "a", later, ttl).await.unwrap());
    assert!(
        !lease::acquire(db, "job", "b", now + ttl, ttl)
            .await
            .unwrap()
    );
    // The holder stops renewing (it died): once the lease has run out, another takes it over.
    let expired = later + ttl;
    assert!(lease::acquire(db, "job", "b", expired, ttl).await.unwrap());
    assert!(!lease::acquire(db, "job", "a", expired, ttl).await.unwrap());
    // A clean stop hands it over at once.
    lease::release(db, "job", "b").await.unwrap();
    assert!(lease::acquire(db, "job", "a", expired, ttl).await.unwrap());
    // Other jobs' leases are their own.
    assert!(
        lease::acquire(db, "other", "b", expired, ttl)
            .await
            .unwrap()
    );
    push.app.finish().await;
}

#[actix_web::test]
async fn of_two_instances_one_plans_and_another_takes_over_when_its_lease_runs_out() {
    let push = PushApp::spawn().await;
    // An instance that died holding the lease: nobody plans until it runs out.
    assert!(
        lease::acquire(
            &push.app.db,
            lease::PLANNER,
            "dead",
            push.now(),
            PLANNER_LEASE
        )
        .await
        .unwrap()
    );
    let first = workers(&push);
    let second = workers(&push);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(first.plans_run() + second.plans_run(), 0);

    push.app
        .clock
        .advance(PLANNER_LEASE + chrono::Duration::seconds(1));
    until(|| first.plans_run() + second.plans_run() == 1).await;
    // Both keep looking at the clock; the holder renews, so the other never plans.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(first.plans_run() + second.plans_run(), 1);
    let (holder, other) = if first.plans_run() == 1 {
        (first, second)
    } else {
        (second, first)
    };
    let row = job_leases::Entity::find_by_id(lease::PLANNER.to_owned())
        .one(&push.app.db)
        .await
        .unwrap()
        .expect("the lease row");
    assert_ne!(row.holder, "dead");

    assert_eq!(other.plans_run(), 0);

    // The holder stops: the other takes the planning over.
    drop(holder);
    until(|| other.plans_run() == 1).await;
    push.app.finish().await;
}
