//! Parents' push preferences, per member: which kinds of message, quiet hours, stop all.
//! No row means the defaults: everything on, the configured quiet hours.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::push_preferences;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use crate::domain::push::{Preferences, QuietHours, parse_hhmm};
use crate::error::{AppError, ErrorCode};

/// What a member may change; absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PreferencesInput {
    pub due_soon: Option<bool>,
    pub due_today: Option<bool>,
    pub overdue: Option<bool>,
    pub stage: Option<bool>,
    pub campaign: Option<bool>,
    pub stop_all: Option<bool>,
    /// `HH:MM`, 00:00 to 23:59 (Asia/Shanghai); equal start and end: no quiet hours.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub quiet_start: Option<String>,
    /// `HH:MM`, 00:00 to 23:59.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub quiet_end: Option<String>,
}

/// Which messages a member gets (`stop_all` overrides the rest) and when they are held back.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreferencesView {
    pub due_soon: bool,
    pub due_today: bool,
    pub overdue: bool,
    pub stage: bool,
    pub campaign: bool,
    pub stop_all: bool,
    pub quiet_start: String,
    pub quiet_end: String,
}

fn hhmm(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

pub fn view(p: &Preferences) -> PreferencesView {
    PreferencesView {
        due_soon: p.due_soon,
        due_today: p.due_today,
        overdue: p.overdue,
        stage: p.stage,
        campaign: p.campaign,
        stop_all: p.stop_all,
        quiet_start: hhmm(p.quiet.start_minute),
        quiet_end: hhmm(p.quiet.end_minute),
    }
}

fn minute(v: Option<i32>) -> Option<u32> {
    v.and_then(|m| u32::try_from(m).ok())
        .filter(|m| *m < 24 * 60)
}

fn from_row(row: Option<&push_preferences::Model>, default_quiet: QuietHours) -> Preferences {
    let Some(row) = row else {
        return Preferences::defaults(default_quiet);
    };
    Preferences {
        due_soon: row.due_soon,
        due_today: row.due_today,
        overdue: row.overdue,
        stage: row.stage,
        campaign: row.campaign,
        stop_all: row.stop_all,
        quiet: QuietHours {
            start_minute: minute(row.quiet_start_minute).unwrap_or(default_quiet.start_minute),
            end_minute: minute(row.quiet_end_minute).unwrap_or(default_quiet.end_minute),
        },
    }
}

pub async fn get<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    default_quiet: QuietHours,
) -> Result<Preferences, AppError> {
    let row = push_preferences::Entity::find_by_id(member_id)
        .one(db)
        .await?;
    Ok(from_row(row.as_ref(), default_quiet))
}

/// Preferences of many members at once (the planner's batch).
pub async fn get_many<C: ConnectionTrait>(
    db: &C,
    member_ids: &[i32],
    default_quiet: QuietHours,
) -> Result<HashMap<i32, Preferences>, AppError> {
    let mut out: HashMap<i32, Preferences> = member_ids
        .iter()
        .map(|id| (*id, Preferences::defaults(default_quiet)))
        .collect();
    for chunk in member_ids.chunks(500) {
        for row in push_preferences::Entity::find()
            .filter(push_preferences::Column::MemberId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            out.insert(row.member_id, from_row(Some(&row), default_quiet));
        }
    }
    Ok(out)
}

/// Exactly `HH:MM` (the contract's pattern), unlike the configuration's more lenient reading.
fn parse_quiet(value: &str, code: ErrorCode) -> Result<i32, AppError> {
    let digit = |i: usize| value.as_bytes().get(i).is_some_and(u8::is_ascii_digit);
    let shaped = value.len() == 5
        && value.as_bytes().get(2) == Some(&b':')
        && [0, 1, 3, 4].map(digit) == [true; 4];
    shaped
        .then(|| parse_hhmm(value))
        .flatten()
        .and_then(|m| i32::try_from(m).ok())
        .ok_or_else(|| AppError::new(code, format!("expected HH:MM, got {value:?}")))
}

/// Changes the member's preferences; answers them as they now are.
pub async fn set<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    input: &PreferencesInput,
    default_quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<PreferencesView, AppError> {
    let mut p = get(db, member_id, default_quiet).await?;
    let quiet_start = input
        .quiet_start
        .as_deref()
        .map(|v| parse_quiet(v, ErrorCode::InvalidQuietStart))
        .transpose()?;
    let quiet_end = input
        .quiet_end
        .as_deref()
        .map(|v| parse_quiet(v, ErrorCode::InvalidQuietEnd))
        .transpose()?;
    p.due_soon = input.due_soon.unwrap_or(p.due_soon);
    p.due_today = input.due_today.unwrap_or(p.due_today);
    p.overdue = input.overdue.unwrap_or(p.overdue);
    p.stage = input.stage.unwrap_or(p.stage);
    p.campaign = input.campaign.unwrap_or(p.campaign);
    p.stop_all = input.stop_all.unwrap_or(p.stop_all);
    let start = quiet_start.unwrap_or(i32::try_from(p.quiet.start_minute).unwrap_or(0));
    let end = quiet_end.unwrap_or(i32::try_from(p.quiet.end_minute).unwrap_or(0));
    push_preferences::Entity::insert(push_preferences::ActiveModel {
        member_id: Set(member_id),
        due_soon: Set(p.due_soon),
        due_today: Set(p.due_today),
        overdue: Set(p.overdue),
        stage: Set(p.stage),
        campaign: Set(p.campaign),
        stop_all: Set(p.stop_all),
        quiet_start_minute: Set(Some(start)),
        quiet_end_minute: Set(Some(end)),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(push_preferences::Column::MemberId)
            .update_columns([
                push_preferences::Column::DueSoon,
                push_preferences::Column::DueToday,
                push_preferences::Column::Overdue,
                push_preferences::Column::Stage,
                push_preferences::Column::Campaign,
                push_preferences::Column::StopAll,
                push_preferences::Column::QuietStartMinute,
                push_preferences::Column::QuietEndMinute,
                push_preferences::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(view(&get(db, member_id, default_quiet).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_are_exactly_hh_mm() {
        let parse = |v| parse_quiet(v, ErrorCode::InvalidQuietStart).ok();
        assert_eq!(parse("00:00"), Some(0));
        assert_eq!(parse("23:59"), Some(23 * 60 + 59));
        for bad in [
            "24:00", "8:00", " 08:00", "08:00\n", "08:60", "08-00", "0800", "+8:00", "08:0５",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
