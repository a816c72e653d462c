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
