//! Renewal reminders through the push outbox: three days before a member's last period ends,
//! and on its last day (Asia/Shanghai), once each per period (the outbox's dedup key).

use chrono::{DateTime, Duration, Utc};
use entity::membership_periods as periods_t;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{live_periods, period_state};
use crate::domain::membership::last_day;
use crate::domain::push::QuietHours;
use crate::domain::time::shanghai_date;
use crate::error::AppError;
use crate::service::messaging::outbox::{self, NewMessage};

/// Enqueues the reminders due at `now`; answers how many were new.
pub async fn remind(
    db: &DatabaseConnection,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
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
        let last = last_day(p.ends_at);
        let (which, column, sent) = if last == today {
            (
                "last_day",
                periods_t::Column::RemindedLastAt,
                p.reminded_last_at,
            )
        } else {
            (
                "3_days",
                periods_t::Column::RemindedEarlyAt,
                p.reminded_early_at,
            )
        };
        // Told already: skipped before the member's periods are read, so a minute's pass costs
        // one query while nothing is new.
        if sent.is_some() {
            continue;
        }
        // Renewed already: a later period continues this one.
        let later = live_periods(db, member_id)
            .await?
            .into_iter()
            .any(|q| q.id != p.id && q.ends_at > p.ends_at && q.starts_at <= p.ends_at);
        if later {
            continue;
        }
        let message = NewMessage::account_notice(
            format!("membership_renewal:{}:{which}", p.id),
            member_id,
            "会员即将到期",
            format!("您的会员将于{last}到期，续费后权益不中断"),
            "pages/membership/index",
            quiet,
            now,
        );
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
