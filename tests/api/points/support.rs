//! Points helpers over the mini-program harness and the staff harness: no second app.

use babyvax::service::points::verify;
use entity::points_ledger;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::admin::support::{Door, PASSWORD, Staff, login};
use crate::mp::support::{Member, MpApp};

/// The member's ledger rows, oldest first.
pub async fn ledger_rows(mp: &MpApp, member: &Member) -> Vec<points_ledger::Model> {
    points_ledger::Entity::find()
        .filter(points_ledger::Column::MemberId.eq(member.id as i32))
        .order_by_asc(points_ledger::Column::Id)
        .all(&mp.app.db)
        .await
        .expect("ledger read")
}

/// The member's rows of one reason, oldest first.
pub async fn rows_of(mp: &MpApp, member: &Member, reason: &str) -> Vec<points_ledger::Model> {
    ledger_rows(mp, member)
        .await
        .into_iter()
        .filter(|row| row.reason == reason)
        .collect()
}

/// `GET /api/v1/points`.
pub async fn summary(mp: &MpApp, member: &Member) -> Value {
    let (status, body) = mp.get("/api/v1/points", &member.token).await;
    assert_eq!(status, 200, "{body}");
    body
}

pub async fn balance(mp: &MpApp, member: &Member) -> i64 {
    summary(mp, member).await["balance"]
        .as_i64()
        .expect("balance")
}

/// An operator's adjustment over HTTP.
pub async fn adjust(
    mp: &MpApp,
    staff: &Staff,
    member: &Member,
    delta: i64,
    request_id: &str,
) -> (u16, Value) {
    mp.post(
        &format!("/admin/v1/members/{}/points", member.id),
        &staff.token,
        json!({"delta": delta, "reason": "客服补偿", "request_id": request_id}),
    )
    .await
}

/// Every member's ledger adds up to their balance and open lots.
pub async fn assert_verified(mp: &MpApp) {
    let report = verify::verify(&mp.app.db).await.expect("verify runs");
    assert!(report.differences.is_empty(), "{:?}", report.differences);
}

/// The same operator logged in again (after the clock moved past their token's 12 hours).
pub async fn relogin(mp: &MpApp, staff: &Staff, username: &str) -> Staff {
    let (status, body) = login(mp, Door::Admin, username, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    Staff {
        id: staff.id,
        token: body["token"].as_str().expect("token").to_owned(),
    }
}

/// Moves the clock to `day` and logs both in again (tokens last 12 and 24 hours).
pub async fn move_to(mp: &MpApp, day: &str, staff: &mut Staff, member: &mut Member, openid: &str) {
    mp.set_today(day);
    *staff = relogin(mp, staff, "ops").await;
    *member = mp.login(openid).await;
}
