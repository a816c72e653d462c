//! Operator campaigns: a piece of content or an announcement to a segment, counted first (dry
//! run), then queued through the same outbox as the reminders (so the same channels, rate,
//! retries, preferences and dedup apply: one message per recipient per campaign).
//!
//! Segment: babies aged `min_age_days..=max_age_days` (as of the day; a member matches through
//! any baby they own), a region (the member's province and/or city), an acquisition channel
//! (the follower's first or last channel code), and members or not: `members: true` only
//! mini-program members, `false` only followers who are not members (age and region then do not
//! apply: we know nothing of their babies), absent both.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::{babies, followers, members, push_campaigns};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::config::PushSettings;
use crate::error::{AppError, ErrorCode};
use crate::service::messaging::outbox::{self, About, NewMessage, Recipient};
use crate::service::support::required_text;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Segment {
    #[serde(default)]
    pub min_age_days: Option<u32>,
    #[serde(default)]
    pub max_age_days: Option<u32>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    /// A channel code (`ch:<code>` QR codes), matched against first or last touch.
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub members: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CampaignInput {
    pub name: String,
    /// `content` or `announcement`.
    pub kind: String,
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub page: Option<String>,
    pub segment: Segment,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignResult {
    pub campaign_id: Option<i32>,
    pub dry_run: bool,
    pub members: u64,
    pub followers: u64,
    /// Rows put into the outbox (0 in a dry run).
    pub queued: u64,
}

fn channel_matches(f: &followers::Model, channel: &str) -> bool {
    f.first_channel.as_deref() == Some(channel) || f.last_channel.as_deref() == Some(channel)
}

async fn recipients(
    db: &DatabaseConnection,
    segment: &Segment,
    as_of: NaiveDate,
) -> Result<Vec<Recipient>, AppError> {
    let mut out = Vec::new();
    let follower_rows: HashMap<i32, followers::Model> =
        if segment.channel.is_some() || segment.members == Some(false) || segment.members.is_none()
        {
            followers::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|f| (f.id, f))
                .collect()
        } else {
            HashMap::new()
        };
    if segment.members != Some(false) {
        let age_filtered = segment.min_age_days.is_some() || segment.max_age_days.is_some();
        let owners: Option<BTreeSet<i32>> = if age_filtered {
            // Born between as_of - max and as_of - min.
            let mut q = babies::Entity::find()
                .select_only()
                .column(babies::Column::OwnerMemberId);
            if let Some(min) = segment.min_age_days {
                let latest = as_of
                    .checked_sub_days(Days::new(u64::from(min)))
                    .unwrap_or(NaiveDate::MIN);
                q = q.filter(babies::Column::BirthDate.lte(latest));
            }
            if let Some(max) = segment.max_age_days {
                let earliest = as_of
                    .checked_sub_days(Days::new(u64::from(max)))
                    .unwrap_or(NaiveDate::MIN);
                q = q.filter(babies::Column::BirthDate.gte(earliest));
            }
            Some(
                q.distinct()
                    .into_tuple::<i32>()
                    .all(db)
                    .await?
                    .into_iter()
                    .collect(),
            )
        } else {
            None
        };
        for m in members::Entity::find().all(db).await? {
            if owners.as_ref().is_some_and(|o| !o.contains(&m.id)) {
                continue;
            }
            if segment.province.is_some() && m.province != segment.province {
                continue;
            }
            if segment.city.is_some() && m.city != segment.city {
                continue;
            }
            if let Some(channel) = &segment.channel {
                let matched = m
                    .follower_id
                    .and_then(|id| follower_rows.get(&id))
                    .is_some_and(|f| channel_matches(f, channel));
                if !matched {
                    continue;
                }
            }
            out.push(Recipient::Member(m.id));
        }
    }
    let age_or_region = segment.min_age_days.is_some()
        || segment.max_age_days.is_some()
        || segment.province.is_some()
        || segment.city.is_some();
    if segment.members != Some(true) && !age_or_region {
        let linked: BTreeSet<i32> = members::Entity::find()
            .select_only()
            .column(members::Column::FollowerId)
            .filter(members::Column::FollowerId.is_not_null())
            .into_tuple::<Option<i32>>()
            .all(db)
            .await?
            .into_iter()
            .flatten()
            .collect();
        let mut ids: Vec<&followers::Model> = follower_rows
            .values()
            .filter(|f| f.subscribed && !linked.contains(&f.id))
            .filter(|f| {
                segment
                    .channel
                    .as_deref()
                    .is_none_or(|c| channel_matches(f, c))
            })
            .collect();
        ids.sort_by_key(|f| f.id);
        out.extend(ids.into_iter().map(|f| Recipient::Follower(f.id)));
    }
    Ok(out)
}

fn checked(input: &CampaignInput) -> Result<(), AppError> {
    required_text(&input.name, 100, ErrorCode::InvalidCampaignName, "name")?;
    required_text(&input.title, 100, ErrorCode::InvalidCampaignTitle, "title")?;
    required_text(
        &input.summary,
        200,
        ErrorCode::InvalidCampaignSummary,
        "summary",
    )?;
    if !matches!(input.kind.as_str(), "content" | "announcement") {
        return Err(AppError::new(
            ErrorCode::InvalidCampaignKind,
            "kind is content or announcement",
        ));
    }
    if let (Some(min), Some(max)) = (input.segment.min_age_days, input.segment.max_age_days)
        && min > max
    {
        return Err(AppError::new(
            ErrorCode::InvalidSegment,
            "min_age_days is after max_age_days",
        ));
    }
    Ok(())
}

/// Counts the segment (dry run) or creates the campaign and queues its messages.
pub async fn run(
    db: &DatabaseConnection,
    settings: &PushSettings,
    input: &CampaignInput,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<CampaignResult, AppError> {
    checked(input)?;
    let list = recipients(db, &input.segment, as_of).await?;
    let members = list
        .iter()
        .filter(|r| matches!(r, Recipient::Member(_)))
        .count() as u64;
    let followers = list.len() as u64 - members;
    if dry_run {
        return Ok(CampaignResult {
            campaign_id: None,
            dry_run,
            members,
            followers,
            queued: 0,
        });
    }
    let txn = db.begin().await?;
    let campaign = push_campaigns::ActiveModel {
        name: Set(input.name.trim().to_owned()),
        kind: Set(input.kind.clone()),
        title: Set(input.title.trim().to_owned()),
        summary: Set(input.summary.trim().to_owned()),
        page: Set(input.page.clone()),
        segment: Set(serde_json::to_string(&input.segment).unwrap_or_default()),
        created_by: Set(None),
        status: Set("queued".into()),
        recipients: Set(i32::try_from(list.len()).unwrap_or(i32::MAX)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let payload = serde_json::json!({
        "campaign_kind": input.kind,
        "title": input.title.trim(),
        "summary": input.summary.trim(),
        "kind_text": input.title.trim(),
        "baby_name": "",
        "date": as_of.to_string(),
    });
    let not_before = settings.quiet.not_before(now);
    let messages = list
        .iter()
        .map(|r| NewMessage {
            dedup_key: match r {
                Recipient::Member(id) => format!("c{}:m{id}", campaign.id),
                Recipient::Follower(id) => format!("c{}:f{id}", campaign.id),
            },
            kind: "campaign".into(),
            recipient: *r,
            payload: payload.clone(),
            planned_for: as_of,
            not_before,
            held: None,
            about: About {
                campaign_id: Some(campaign.id),
                ..About::default()
            },
        })
        .collect();
    let queued = outbox::enqueue(&txn, messages, now).await?;
    txn.commit().await?;
    Ok(CampaignResult {
        campaign_id: Some(campaign.id),
        dry_run,
        members,
        followers,
        queued,
    })
}
