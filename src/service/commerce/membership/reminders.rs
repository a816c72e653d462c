//! Renewal reminders through the push outbox: three days before a member's last period ends,
//! and on its last day (Asia/Shanghai), once each per period (the outbox's dedup key).

use chrono::{DateTime, Duration, Utc};
use entity::membership_periods as periods_t;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use super::{live_periods, period_state};
use crate::domain::membership::last_day;
use crate::domain::time::shanghai_date;
use crate::error::AppError;
use crate::service::messaging::outbox::{self, About, NewMessage, Recipient};

/// `push_outbox.kind` holds at most 16 characters.
pub const KIND: &str = "member_renewal";

/// Enqueues the reminders due at `now`; answers how many were new.
pub async fn remind(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, AppError> {
    let ending = periods_t::Entity::find()
        .filter(periods_t::Column::State.eq(period_state::ACTIVE))
        .filter(periods_t::Column::EndsAt.gt(now))
        .filter(periods_t::Column::EndsAt.lte(now + Duration::days(3)))
        .all(db)
        .await?;
    let today = shanghai_date(now);
    let mut added = 0;
    for p in ending {
        let Some(member_id) = p.member_id else {
            continue;
        };
        // Renewed already: a later period continues this one.
        let later = live_periods(db, member_id)
            .await?
            .into_iter()
            .any(|q| q.id != p.id && q.ends_at > p.ends_at && q.starts_at <= p.ends_at);
        if later {
            continue;
        }
        let last = last_day(p.ends_at);
        let (which, column) = if last == today {
            ("last_day", periods_t::Column::RemindedLastAt)
        } else {
            ("3_days", periods_t::Column::RemindedEarlyAt)
        };
        let message = NewMessage {
            dedup_key: format!("membership_renewal:{}:{which}", p.id),
            kind: KIND.to_owned(),
            recipient: Recipient::Member(member_id),
            payload: json!({
                "title": "会员即将到期",
                "tier": p.tier,
                "ends_on": last.to_string(),
                "page": "pages/membership/index",
            }),
            planned_for: today,
            not_before: now,
            held: None,
            about: About {
                event_date: Some(last),
                ..About::default()
            },
        };
        let new = outbox::enqueue(db, vec![message], now).await?;
        if new > 0 {
            periods_t::Entity::update_many()
                .col_expr(column, Expr::value(now))
                .filter(periods_t::Column::Id.eq(p.id))
                .exec(db)
                .await?;
        }
        added += new;
    }
    Ok(added)
}
