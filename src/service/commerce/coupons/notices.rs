//! What parents are told about their coupons, through the outbox (so the sender's channels,
//! the member's preferences and quiet hours, retries and dedup apply): three days before an
//! unused coupon expires, and when it is redeemed (so a redemption they did not make is noticed
//! at once). Both go out as announcements (the `campaign` kind with `campaign_kind:
//! announcement`, the announcement templates): members who switched announcements off are not
//! sent them.

use chrono::{DateTime, Duration, Utc};
use entity::{coupon_templates as templates, coupons};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::state::UNUSED;
use crate::domain::coupons::EXPIRY_NOTICE_DAYS;
use crate::domain::push::QuietHours;
use crate::domain::time::shanghai_date;
use crate::error::AppError;
use crate::service::messaging::outbox::{self, NewMessage};

/// Where a coupon notice opens the mini-program.
const COUPONS_PAGE: &str = "pages/coupons/index";

/// Queues "your coupon was redeemed", in the redemption's transaction.
pub(crate) async fn redeemed<C: ConnectionTrait>(
    txn: &C,
    member_id: i32,
    coupon: &coupons::Model,
    template: &templates::Model,
    merchant_name: &str,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let summary = format!("「{}」已在{}核销", template.title, merchant_name);
    outbox::enqueue(
        txn,
        vec![NewMessage::account_notice(
            format!("coupon-used:{}", coupon.id),
            member_id,
            "优惠券已核销",
            summary,
            COUPONS_PAGE,
            quiet,
            now,
        )],
        now,
    )
    .await?;
    Ok(())
}

/// Queues "your coupon expires soon" for every unused coupon whose validity ends within
/// [`EXPIRY_NOTICE_DAYS`] days; each coupon is told once (the dedup key). Answers how many
/// messages were new.
pub async fn queue_expiring(
    db: &DatabaseConnection,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let soon = coupons::Entity::find()
        .filter(coupons::Column::Status.eq(UNUSED))
        .filter(coupons::Column::ValidUntil.gt(now))
        .filter(coupons::Column::ValidUntil.lte(now + Duration::days(EXPIRY_NOTICE_DAYS)))
        .filter(coupons::Column::MemberId.is_not_null())
        .all(db)
        .await?;
    if soon.is_empty() {
        return Ok(0);
    }
    let titles: std::collections::BTreeMap<i32, String> = templates::Entity::find()
        .filter(templates::Column::Id.is_in(soon.iter().map(|c| c.template_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.title))
        .collect();
    let messages = soon
        .iter()
        .filter_map(|c| {
            let member_id = c.member_id?;
            let title = titles.get(&c.template_id).cloned().unwrap_or_default();
            let until = shanghai_date(c.valid_until - Duration::seconds(1));
            Some(NewMessage::account_notice(
                format!("coupon-expiring:{}", c.id),
                member_id,
                "优惠券即将过期",
                format!("「{title}」将于{until}到期，请尽快使用"),
                COUPONS_PAGE,
                quiet,
                now,
            ))
        })
        .collect();
    outbox::enqueue(db, messages, now).await
}
