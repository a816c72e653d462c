//! Followers of the official account and their follow/unfollow history.
//!
//! Attribution: a parametric QR scene `ch:<code>` names a channel. `first_channel` is the first
//! channel-attributed touch and is never overwritten; `last_channel` is the latest one.

use chrono::{DateTime, Utc};
use entity::{follower_events, followers};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::error::AppError;

pub const CHANNEL_SCENE_PREFIX: &str = "ch:";

/// The channel code in a QR scene, if the scene names one.
pub fn channel_from_scene(scene: &str) -> Option<&str> {
    scene
        .strip_prefix(CHANNEL_SCENE_PREFIX)
        .map(str::trim)
        .filter(|code| !code.is_empty() && code.len() <= 64)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowChange {
    Subscribe,
    Unsubscribe,
    /// A scan of a parametric QR code by someone who already follows.
    Scan,
}

impl FollowChange {
    fn as_str(self) -> &'static str {
        match self {
            FollowChange::Subscribe => "subscribe",
            FollowChange::Unsubscribe => "unsubscribe",
            FollowChange::Scan => "scan",
        }
    }
}

/// Applies a follow, unfollow or scan at `occurred_at` (WeChat's time) within the caller's
/// transaction. A follow while following, or an unfollow while not following (WeChat sends
/// repeats), changes no state and writes no history; every scan is kept as a touch.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    openid: &str,
    change: FollowChange,
    channel: Option<&str>,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<followers::Model, AppError> {
    let (follower, created) = find_or_create(db, openid, now).await?;
    let mut active: followers::ActiveModel = follower.clone().into();
    let transition = match change {
        FollowChange::Subscribe => !follower.subscribed,
        // A first sight of someone leaving still belongs in the churn history.
        FollowChange::Unsubscribe => follower.subscribed || created,
        FollowChange::Scan => true,
    };
    if transition {
        match change {
            FollowChange::Subscribe => {
                active.subscribed = Set(true);
                // A (re-)follow refreshes the profile, and with it the unionid link to a member.
                active.profile_checked_at = Set(None);
                active.subscribe_count = Set(follower.subscribe_count + 1);
                if follower.first_subscribed_at.is_none() {
                    active.first_subscribed_at = Set(Some(occurred_at));
                }
                active.last_subscribed_at = Set(Some(occurred_at));
            }
            FollowChange::Unsubscribe => {
                active.subscribed = Set(false);
                active.last_unsubscribed_at = Set(Some(occurred_at));
            }
            // Only followers can scan into the SCAN event.
            FollowChange::Scan => active.subscribed = Set(true),
        }
    }
    if let Some(code) = channel.filter(|_| change != FollowChange::Unsubscribe) {
        if follower.first_channel.is_none() {
            active.first_channel = Set(Some(code.to_owned()));
        }
        active.last_channel = Set(Some(code.to_owned()));
    }
    active.updated_at = Set(now);
    let updated = active.update(db).await?;
    if transition {
        follower_events::ActiveModel {
            follower_id: Set(updated.id),
            kind: Set(change.as_str().to_owned()),
            channel: Set(channel.map(str::to_owned)),
            occurred_at: Set(occurred_at),
            recorded_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(updated)
}

/// The follower row for `openid` and whether this call created it. Insert-or-ignore first, so
/// two deliveries racing on a new openid both end up on one row.
async fn find_or_create<C: ConnectionTrait>(
    db: &C,
    openid: &str,
    now: DateTime<Utc>,
) -> Result<(followers::Model, bool), AppError> {
    let row = followers::ActiveModel {
        openid: Set(openid.to_owned()),
        subscribed: Set(false),
        subscribe_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let inserted = followers::Entity::insert(row)
        .on_conflict(
            OnConflict::column(followers::Column::Openid)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let follower = followers::Entity::find()
        .filter(followers::Column::Openid.eq(openid))
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("follower {openid} vanished after insert"))
        })?;
    Ok((follower, inserted == 1))
}

/// Claims up to `limit` following followers whose unionid is unknown and whose profile nobody is
/// fetching. Each claim is a guarded update, so several instances never fetch the same one.
pub async fn claim_profile_checks<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<followers::Model>, AppError> {
    use sea_orm::{QueryOrder, QuerySelect, sea_query::Expr};
    let candidates = followers::Entity::find()
        .filter(followers::Column::Subscribed.eq(true))
        .filter(followers::Column::Unionid.is_null())
        .filter(followers::Column::ProfileCheckedAt.is_null())
        .order_by_asc(followers::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::with_capacity(candidates.len());
    for follower in candidates {
        let taken = followers::Entity::update_many()
            .col_expr(followers::Column::ProfileCheckedAt, Expr::value(now))
            .filter(followers::Column::Id.eq(follower.id))
            .filter(followers::Column::ProfileCheckedAt.is_null())
            .exec(db)
            .await?;
        if taken.rows_affected == 1 {
            claimed.push(follower);
        }
    }
    Ok(claimed)
}

/// Gives a claimed follower back (its fetch failed for a reason a retry may fix).
pub async fn release_profile_check<C: ConnectionTrait>(
    db: &C,
    follower_id: i32,
) -> Result<(), AppError> {
    use sea_orm::sea_query::Expr;
    followers::Entity::update_many()
        .col_expr(
            followers::Column::ProfileCheckedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(followers::Column::Id.eq(follower_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Stores the unionid WeChat gave for a follower and links the mini-program member with the same
/// unionid to it, in one transaction. Returns how many members were linked.
pub async fn record_unionid(
    db: &sea_orm::DatabaseConnection,
    follower_id: i32,
    unionid: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    use sea_orm::TransactionTrait;
    use sea_orm::sea_query::Expr;
    let unionid = unionid.trim();
    let txn = db.begin().await?;
    followers::Entity::update_many()
        .col_expr(followers::Column::Unionid, Expr::value(unionid))
        .col_expr(followers::Column::UpdatedAt, Expr::value(now))
        .filter(followers::Column::Id.eq(follower_id))
        .exec(&txn)
        .await?;
    let linked = entity::members::Entity::update_many()
        .col_expr(
            entity::members::Column::FollowerId,
            Expr::value(follower_id),
        )
        .filter(entity::members::Column::Unionid.eq(unionid))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(linked.rows_affected)
}

/// A follower with its history, oldest first.
pub async fn history<C: ConnectionTrait>(
    db: &C,
    openid: &str,
) -> Result<Option<(followers::Model, Vec<follower_events::Model>)>, AppError> {
    use sea_orm::{ModelTrait, QueryOrder};
    let Some(follower) = followers::Entity::find()
        .filter(followers::Column::Openid.eq(openid))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let events = follower
        .find_related(follower_events::Entity)
        .order_by_asc(follower_events::Column::OccurredAt)
        .order_by_asc(follower_events::Column::Id)
        .all(db)
        .await?;
    Ok(Some((follower, events)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_scenes() {
        assert_eq!(channel_from_scene("ch:clinic-12"), Some("clinic-12"));
        assert_eq!(channel_from_scene("ch:"), None);
        assert_eq!(channel_from_scene("123123"), None);
        assert_eq!(
            channel_from_scene("last_trade_no_4008072001201701105817415015"),
            None
        );
    }
}
