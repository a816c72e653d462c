//! Processing of one callback delivery: deduplicate, apply its effects, choose the reply.
//!
//! The delivery's dedup row, its effects and its reply commit in one transaction. A redelivery
//! (WeChat retries after 5 s, up to three times) finds the row and gets the same reply back,
//! with no second effect. On PostgreSQL a concurrent redelivery waits on the unique index until
//! the first commits.

use chrono::{DateTime, TimeZone, Utc};
use entity::inbound_messages;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use crate::error::AppError;
use crate::service::audience::followers::{self, FollowChange};
use crate::service::messaging::reply_rules::{self, Trigger};
use crate::wechat::message::{Event, Inbound, InboundKind};

const SUMMARY_LIMIT: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The plaintext passive reply, or `None` to answer `success`.
    pub reply_xml: Option<String>,
    pub duplicate: bool,
}

pub async fn process(
    db: &DatabaseConnection,
    inbound: &Inbound,
    now: DateTime<Utc>,
) -> Result<Outcome, AppError> {
    // The reply depends on the message alone: choose it before taking SQLite's write lock, so
    // the write transaction stays short.
    let reply_xml = match trigger(inbound) {
        Some(trigger) => reply_rules::choose(db, trigger)
            .await?
            .map(|reply| reply.to_xml(&inbound.from_user, &inbound.to_user, now.timestamp())),
        None => None,
    };
    let txn = db.begin().await?;
    let claimed = inbound_messages::Entity::insert(inbound_messages::ActiveModel {
        dedup_key: Set(inbound.dedup_key()),
        openid: Set(inbound.from_user.clone()),
        msg_type: Set(inbound.msg_type().to_owned()),
        event: Set(inbound.event_name().map(str::to_owned)),
        create_time: Set(inbound.create_time),
        summary: Set(summary(inbound)),
        reply_xml: Set(reply_xml.clone()),
        received_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(inbound_messages::Column::DedupKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if claimed == 0 {
        txn.rollback().await?;
        let first = inbound_messages::Entity::find()
            .filter(inbound_messages::Column::DedupKey.eq(inbound.dedup_key()))
            .one(db)
            .await?;
        return Ok(Outcome {
            reply_xml: first.and_then(|m| m.reply_xml),
            duplicate: true,
        });
    }

    apply_effects(&txn, inbound, now).await?;
    txn.commit().await?;
    Ok(Outcome {
        reply_xml,
        duplicate: false,
    })
}

async fn apply_effects<C: ConnectionTrait>(
    db: &C,
    inbound: &Inbound,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let InboundKind::Event(event) = &inbound.kind else {
        return Ok(());
    };
    if let Event::TemplateSendJobFinish { msg_id, status } = event {
        super::outbox::record_delivery(db, msg_id, status, now).await?;
        return Ok(());
    }
    let change = match event {
        Event::Subscribe { .. } => FollowChange::Subscribe,
        Event::Unsubscribe => FollowChange::Unsubscribe,
        Event::Scan { .. } => FollowChange::Scan,
        _ => return Ok(()),
    };
    let channel = event.qr_scene().and_then(followers::channel_from_scene);
    let occurred_at = Utc
        .timestamp_opt(inbound.create_time, 0)
        .single()
        .unwrap_or(now);
    followers::record(db, &inbound.from_user, change, channel, occurred_at, now).await?;
    Ok(())
}

fn trigger(inbound: &Inbound) -> Option<Trigger<'_>> {
    match &inbound.kind {
        InboundKind::Text { content, .. } => Some(Trigger::Words(content)),
        InboundKind::Voice {
            recognition: Some(words),
            ..
        } => Some(Trigger::Words(words)),
        InboundKind::Event(Event::Click { key }) => Some(Trigger::Words(key)),
        InboundKind::Event(Event::Subscribe { .. }) => Some(Trigger::Subscribe),
        _ => None,
    }
}

fn summary(inbound: &Inbound) -> String {
    let text = match &inbound.kind {
        InboundKind::Text { content, .. } => content.clone(),
        InboundKind::Link { title, url, .. } => format!("{title} {url}"),
        InboundKind::Voice { recognition, .. } => recognition.clone().unwrap_or_default(),
        InboundKind::Event(Event::Subscribe { event_key, .. }) => {
            event_key.clone().unwrap_or_default()
        }
        InboundKind::Event(Event::Scan { scene, .. }) => scene.clone(),
        InboundKind::Event(Event::Click { key }) => key.clone(),
        InboundKind::Event(Event::View { url, .. }) => url.clone(),
        InboundKind::Event(Event::TemplateSendJobFinish { msg_id, status }) => {
            format!("{msg_id} {status}")
        }
        // Unknown types keep their whole document so that nothing WeChat adds is lost.
        InboundKind::Unknown { raw, .. } | InboundKind::Event(Event::Unknown { raw, .. }) => {
            return raw.clone();
        }
        _ => String::new(),
    };
    text.chars().take(SUMMARY_LIMIT).collect()
}

/// Loads the stored record of a delivery, for tests and operators.
pub async fn find(
    db: &DatabaseConnection,
    dedup_key: &str,
) -> Result<Option<inbound_messages::Model>, AppError> {
    Ok(inbound_messages::Entity::find()
        .filter(inbound_messages::Column::DedupKey.eq(dedup_key))
        .one(db)
        .await?)
}
