//! Operators' points work (admin door): adjustments of a member's points, the earning rules,
//! levels and campaigns, and a member's ledger. Each write and its audit row are committed
//! together; a read of a member's ledger is recorded before it is answered. The points rules
//! themselves are `service::points`.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};

use super::audit::{self, Actor, Target, action};
use crate::domain::points::Campaign;
use crate::error::{AppError, ErrorCode};
use crate::service::audience::members;
use crate::service::points::adjust::{self, AdjustmentInput, AdjustmentResult};
use crate::service::points::config::{self, CampaignView, LevelsDocument, RulesDocument};
use crate::service::points::views::{self, LedgerPage, PageQuery};

fn settings_target(name: &str) -> Target {
    Target {
        kind: "points_settings",
        id: name.to_owned(),
    }
}

fn unknown_member(e: AppError) -> AppError {
    match e.error_code() {
        ErrorCode::MemberNotFound => {
            AppError::new(ErrorCode::UnknownMember, "no member has this id")
        }
        _ => e,
    }
}

/// Adjusts a member's points; audited when it changes something (a replayed `request_id`
/// changes nothing and is answered as the first time).
pub async fn adjust_points(
    db: &DatabaseConnection,
    by: &Actor,
    member_id: i32,
    input: &AdjustmentInput,
    now: DateTime<Utc>,
) -> Result<AdjustmentResult, AppError> {
    adjust::checked(input)?;
    // Before the transaction: its first statement must be the account lock's write (SQLite).
    members::ensure_exists(db, member_id)
        .await
        .map_err(unknown_member)?;
    let txn = db.begin().await?;
    let (outcome, result) = adjust::adjust(&txn, member_id, by.id, input, now).await?;
    if !outcome.is_replay() {
        audit::record(
            &txn,
            by,
            action::POINTS_ADJUST,
            Some(Target::member(member_id)),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(result)
}

/// A member's points ledger, newest first; the read is audited.
pub async fn member_ledger(
    db: &DatabaseConnection,
    by: &Actor,
    member_id: i32,
    page: &PageQuery,
    now: DateTime<Utc>,
) -> Result<LedgerPage, AppError> {
    members::ensure_exists(db, member_id)
        .await
        .map_err(unknown_member)?;
    let ledger = views::ledger_page(db, member_id, page).await?;
    audit::record(
        db,
        by,
        action::POINTS_LEDGER_READ,
        Some(Target::member(member_id)),
        now,
    )
    .await?;
    Ok(ledger)
}

pub async fn put_rules(
    db: &DatabaseConnection,
    by: &Actor,
    input: RulesDocument,
    now: DateTime<Utc>,
) -> Result<RulesDocument, AppError> {
    let txn = db.begin().await?;
    let stored = config::put_rules(&txn, input, Some(by.id), now).await?;
    let target = Some(settings_target("earning_rules"));
    audit::record(&txn, by, action::POINTS_RULES_PUT, target, now).await?;
    txn.commit().await?;
    Ok(stored)
}

pub async fn put_levels(
    db: &DatabaseConnection,
    by: &Actor,
    input: LevelsDocument,
    now: DateTime<Utc>,
) -> Result<LevelsDocument, AppError> {
    let txn = db.begin().await?;
    let stored = config::put_levels(&txn, input, Some(by.id), now).await?;
    let target = Some(settings_target("levels"));
    audit::record(&txn, by, action::POINTS_LEVELS_PUT, target, now).await?;
    txn.commit().await?;
    Ok(stored)
}

pub async fn create_campaign(
    db: &DatabaseConnection,
    by: &Actor,
    campaign: Campaign,
    now: DateTime<Utc>,
) -> Result<CampaignView, AppError> {
    let txn = db.begin().await?;
    let created = config::create_campaign(&txn, campaign, Some(by.id), now).await?;
    let target = Some(Target {
        kind: "points_campaign",
        id: created.id.to_string(),
    });
    audit::record(&txn, by, action::POINTS_CAMPAIGN_CREATE, target, now).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn end_campaign(
    db: &DatabaseConnection,
    by: &Actor,
    id: i32,
    now: DateTime<Utc>,
) -> Result<CampaignView, AppError> {
    let txn = db.begin().await?;
    let ended = config::end_campaign(&txn, id, now).await?;
    let target = Some(Target {
        kind: "points_campaign",
        id: id.to_string(),
    });
    audit::record(&txn, by, action::POINTS_CAMPAIGN_END, target, now).await?;
    txn.commit().await?;
    Ok(ended)
}
