//! A baby's feed: the stage content (`data/stages/`) and articles that fit the baby's age now,
//! what starts within the next weeks, and the doses coming up with the articles that go with
//! them (fever care before a DTaP dose).
//!
//! Content follows the corrected age of a preterm baby (birth date + weeks born early) until 24
//! months, as child-health checks do; doses always follow the chronological age.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{Datelike, Days, Months, NaiveDate};
use entity::{articles, babies as babies_entity};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::access;
use super::schedule::{self, DoseState, Payer};
use crate::domain::schedule::{Age, Status};
use crate::error::{AppError, ErrorCode};

/// "What comes next": content that starts within this many days.
pub const NEXT_CONTENT_DAYS: u64 = 60;
/// Doses that become due within this many days are listed with the due and overdue ones.
pub const UPCOMING_DOSE_DAYS: u64 = 30;
/// Corrected age is used for content until this chronological age.
const CORRECTED_AGE_UNTIL_MONTHS: u32 = 24;
const ARTICLES_PER_DOSE: usize = 3;

/// The stage content file, compiled in.
pub const STAGES_JSON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/stages/stages-0-6y.json"
));

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageFile {
    #[allow(dead_code)] // Documentation of the file, kept so that typos in it fail the parse.
    meta: BTreeMap<String, String>,
    sources: BTreeMap<String, StageSource>,
    stages: Vec<StageEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageSource {
    title: String,
    #[serde(default)]
    url: Option<String>,
    #[allow(dead_code)]
    #[serde(default)]
    how_checked: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageEntry {
    id: String,
    category: String,
    title: String,
    summary: String,
    from: Age,
    until: Age,
    sources: Vec<String>,
    verification: StageVerification,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageVerification {
    level: String,
    #[serde(default)]
    note: Option<String>,
}

fn parse_stages(json: &str) -> Result<StageFile, String> {
    let file: StageFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
    for stage in &file.stages {
        if let Some(missing) = stage
            .sources
            .iter()
            .find(|s| !file.sources.contains_key(*s))
        {
            return Err(format!("{} cites unknown source {missing}", stage.id));
        }
    }
    Ok(file)
}

static STAGES: LazyLock<Result<StageFile, String>> = LazyLock::new(|| parse_stages(STAGES_JSON));

fn stages() -> Result<&'static StageFile, AppError> {
    STAGES
        .as_ref()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("data/stages is invalid: {e}")))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceRef {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageItem {
    pub id: String,
    /// `gross_motor`, `complementary_feeding`, `montessori_sensitive_period` or
    /// `popular_sensitive_period`.
    pub category: String,
    pub title: String,
    pub summary: String,
    /// First day of the window for this baby.
    pub starts_on: NaiveDate,
    /// Last day of the window for this baby. Windows are ranges of normal variation, not
    /// deadlines.
    pub ends_on: NaiveDate,
    pub sources: Vec<SourceRef>,
    /// `verified`, `secondary`, `unverified` or `general`.
    pub verification: String,
    pub verification_note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Author {
    pub name: String,
    pub title: Option<String>,
    /// A verified medical expert (shown as a badge).
    pub verified_expert: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleSummary {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub tags: Vec<String>,
    /// Shown from this age in days ...
    pub min_age_days: i32,
    /// ... until this age (exclusive); null: no upper bound.
    pub max_age_days: Option<i32>,
    pub author: Author,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Article {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub tags: Vec<String>,
    pub min_age_days: i32,
    pub max_age_days: Option<i32>,
    pub author: Author,
    pub sources: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpcomingDose {
    pub vaccine: String,
    pub dose: u8,
    pub name_zh: String,
    pub status: DoseState,
    pub earliest: Option<NaiveDate>,
    pub recommended: Option<NaiveDate>,
    pub complete_by: Option<NaiveDate>,
    pub programme: Payer,
    /// Articles to read before this dose (tagged `vaccine:<ID>` or `vaccination`).
    pub articles: Vec<ArticleSummary>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BabyAge {
    /// Chronological age in days.
    pub days: i64,
    /// Completed months (the same day-of-month N months after birth, clamped to month end).
    pub months: u32,
    /// The age content is chosen by: corrected for prematurity until 24 months.
    pub content_age_days: i64,
    pub corrected_for_prematurity: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Feed {
    pub baby_id: i32,
    pub as_of: NaiveDate,
    pub age: BabyAge,
    /// Stage content whose window contains today.
    pub stages_now: Vec<StageItem>,
    /// Stage content starting within the next 60 days, soonest first.
    pub stages_next: Vec<StageItem>,
    pub articles_now: Vec<ArticleSummary>,
    pub articles_next: Vec<ArticleSummary>,
    /// Due and overdue doses, and those becoming due within 30 days, soonest first.
    pub upcoming_doses: Vec<UpcomingDose>,
}

fn tags_of(row: &articles::Model) -> Vec<String> {
    // Tags are written by operators; a malformed list hides the tags, not the article.
    serde_json::from_str(&row.tags).unwrap_or_else(|e| {
        tracing::warn!(article = row.id, error = %e, "article tags are not a JSON list");
        Vec::new()
    })
}

fn author_of(row: &articles::Model) -> Author {
    Author {
        name: row.author_name.clone(),
        title: row.author_title.clone(),
        verified_expert: row.author_verified_expert,
    }
}

fn summary_of(row: &articles::Model) -> ArticleSummary {
    ArticleSummary {
        id: row.id,
        slug: row.slug.clone(),
        title: row.title.clone(),
        summary: row.summary.clone(),
        tags: tags_of(row),
        min_age_days: row.min_age_days,
        max_age_days: row.max_age_days,
        author: author_of(row),
    }
}

fn is_dose_article(tags: &[String]) -> bool {
    tags.iter()
        .any(|t| t == "vaccination" || t.starts_with("vaccine:"))
}

fn fits(row: &articles::Model, age_days: i64) -> bool {
    i64::from(row.min_age_days) <= age_days
        && row.max_age_days.is_none_or(|max| age_days < i64::from(max))
}

/// Each stage with the day it starts for a baby counted from `birth` (see [`content_birth`]):
/// the push planner's view of the same stages the feed shows.
pub(crate) fn stage_starts(
    birth: NaiveDate,
) -> Result<Vec<crate::domain::push::StageStart>, AppError> {
    Ok(stages()?
        .stages
        .iter()
        .filter_map(|s| {
            Some(crate::domain::push::StageStart {
                id: s.id.clone(),
                title: s.title.clone(),
                summary: s.summary.clone(),
                starts_on: s.from.after(birth)?,
            })
        })
        .collect())
}

/// The birth date content is counted from, and whether it is corrected for prematurity.
pub(crate) fn content_birth(baby: &babies_entity::Model, today: NaiveDate) -> (NaiveDate, bool) {
    let birth = baby.birth_date;
    let Some(weeks) = baby.preterm_weeks.and_then(|w| u64::try_from(w).ok()) else {
        return (birth, false);
    };
    let corrected_until = birth.checked_add_months(Months::new(CORRECTED_AGE_UNTIL_MONTHS));
    if corrected_until.is_none_or(|until| today >= until) {
        return (birth, false);
    }
    match birth.checked_add_days(Days::new(weeks * 7)) {
        Some(corrected) => (corrected.min(today), true),
        None => (birth, false),
    }
}

fn completed_months(birth: NaiveDate, today: NaiveDate) -> u32 {
    if today < birth {
        return 0;
    }
    let rough = i64::from(today.year() - birth.year()) * 12 + i64::from(today.month0())
        - i64::from(birth.month0());
    let mut months = u32::try_from(rough.max(0)).unwrap_or(0);
    while months > 0
        && birth
            .checked_add_months(Months::new(months))
            .is_none_or(|d| d > today)
    {
        months -= 1;
    }
    months
}

fn stage_item(
    file: &StageFile,
    stage: &StageEntry,
    starts_on: NaiveDate,
    until: NaiveDate,
) -> StageItem {
    StageItem {
        id: stage.id.clone(),
        category: stage.category.clone(),
        title: stage.title.clone(),
        summary: stage.summary.clone(),
        starts_on,
        ends_on: until.pred_opt().unwrap_or(until),
        sources: stage
            .sources
            .iter()
            .filter_map(|id| {
                file.sources.get(id).map(|s| SourceRef {
                    id: id.clone(),
                    title: s.title.clone(),
                    url: s.url.clone(),
                })
            })
            .collect(),
        verification: stage.verification.level.clone(),
        verification_note: stage.verification.note.clone(),
    }
}

/// Stage items in their window on `today`, and those starting within the horizon.
fn stage_content(
    birth: NaiveDate,
    today: NaiveDate,
) -> Result<(Vec<StageItem>, Vec<StageItem>), AppError> {
    let file = stages()?;
    let horizon = today
        .checked_add_days(Days::new(NEXT_CONTENT_DAYS))
        .unwrap_or(today);
    let mut now = Vec::new();
    let mut next = Vec::new();
    for stage in &file.stages {
        let (Some(start), Some(until)) = (stage.from.after(birth), stage.until.after(birth)) else {
            continue;
        };
        if start <= today && today < until {
            now.push(stage_item(file, stage, start, until));
        } else if today < start && start <= horizon {
            next.push(stage_item(file, stage, start, until));
        }
    }
    next.sort_by_key(|s| s.starts_on);
    Ok((now, next))
}

pub async fn feed<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
    today: NaiveDate,
) -> Result<Feed, AppError> {
    let baby = access::access(db, member_id, baby_id).await?.baby;
    let (birth_for_content, corrected) = content_birth(&baby, today);
    let age_days = (today - baby.birth_date).num_days().max(0);
    let content_age_days = (today - birth_for_content).num_days().max(0);
    let (stages_now, stages_next) = stage_content(birth_for_content, today)?;

    let horizon_days = i64::try_from(NEXT_CONTENT_DAYS).unwrap_or(0);
    let oldest_relevant = age_days.max(content_age_days) + horizon_days;
    let rows = articles::Entity::find()
        .filter(articles::Column::Published.eq(true))
        .filter(articles::Column::MinAgeDays.lte(oldest_relevant))
        .order_by_asc(articles::Column::MinAgeDays)
        .order_by_asc(articles::Column::Id)
        .all(db)
        .await?;
    let summaries: Vec<(&articles::Model, ArticleSummary)> =
        rows.iter().map(|row| (row, summary_of(row))).collect();
    let mut articles_now = Vec::new();
    let mut articles_next = Vec::new();
    for (row, summary) in &summaries {
        if is_dose_article(&summary.tags) {
            continue;
        }
        if fits(row, content_age_days) {
            articles_now.push(summary.clone());
        } else if i64::from(row.min_age_days) > content_age_days
            && i64::from(row.min_age_days) <= content_age_days + horizon_days
        {
            articles_next.push(summary.clone());
        }
    }

    let history = schedule::load_history(db, baby_id).await?;
    let schedule = schedule::compute_stored(&baby, &history, today)?;
    let dose_horizon = today
        .checked_add_days(Days::new(UPCOMING_DOSE_DAYS))
        .unwrap_or(today);
    let dose_pool: Vec<&ArticleSummary> = summaries
        .iter()
        .filter(|(row, _)| fits(row, age_days))
        .map(|(_, summary)| summary)
        .collect();
    let mut upcoming_doses: Vec<UpcomingDose> = schedule
        .doses
        .into_iter()
        .filter(|d| match d.status {
            Status::Due | Status::Overdue => true,
            Status::NotYetDue => d.earliest.is_some_and(|e| e <= dose_horizon),
            Status::Done | Status::NotApplicable => false,
        })
        .map(|d| {
            let vaccine_tag = format!("vaccine:{}", d.vaccine);
            let about_this_vaccine = dose_pool.iter().filter(|a| a.tags.contains(&vaccine_tag));
            // Then general vaccination care (not about another vaccine).
            let general_care = dose_pool.iter().filter(|a| {
                a.tags.iter().any(|t| t == "vaccination")
                    && !a.tags.iter().any(|t| t.starts_with("vaccine:"))
            });
            let for_dose: Vec<ArticleSummary> = about_this_vaccine
                .chain(general_care)
                .take(ARTICLES_PER_DOSE)
                .map(|a| (*a).clone())
                .collect();
            UpcomingDose {
                status: d.status.into(),
                programme: d.programme.into(),
                vaccine: d.vaccine,
                dose: d.dose,
                name_zh: d.name_zh,
                earliest: d.earliest,
                recommended: d.recommended,
                complete_by: d.complete_by,
                articles: for_dose,
            }
        })
        .collect();
    upcoming_doses.sort_by_key(|d| d.recommended);

    Ok(Feed {
        baby_id,
        as_of: today,
        age: BabyAge {
            days: age_days,
            months: completed_months(baby.birth_date, today),
            content_age_days,
            corrected_for_prematurity: corrected,
        },
        stages_now,
        stages_next,
        articles_now,
        articles_next,
        upcoming_doses,
    })
}

/// A published article, in full.
pub async fn article<C: ConnectionTrait>(db: &C, article_id: i32) -> Result<Article, AppError> {
    let row = articles::Entity::find_by_id(article_id)
        .filter(articles::Column::Published.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::ArticleNotFound, "no such article"))?;
    Ok(Article {
        tags: tags_of(&row),
        author: author_of(&row),
        id: row.id,
        slug: row.slug,
        title: row.title,
        summary: row.summary,
        body: row.body,
        min_age_days: row.min_age_days,
        max_age_days: row.max_age_days,
        sources: row.sources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn embedded_stage_data_is_valid() {
        let file = parse_stages(STAGES_JSON).unwrap();
        assert!(file.stages.len() >= 19);
        for stage in &file.stages {
            let birth = d("2024-02-29");
            assert!(
                stage.from.after(birth) < stage.until.after(birth),
                "{}: empty window",
                stage.id
            );
        }
    }

    #[test]
    fn unknown_sources_are_refused() {
        let json = r#"{"meta":{},"sources":{},"stages":[{"id":"x","category":"c","title":"t",
            "summary":"s","from":{},"until":{"months":1},"sources":["NOPE"],
            "verification":{"level":"verified"}}]}"#;
        assert!(parse_stages(json).unwrap_err().contains("NOPE"));
    }

    #[test]
    fn completed_months_follow_the_day_of_month_rule() {
        assert_eq!(completed_months(d("2026-01-31"), d("2026-02-27")), 0);
        assert_eq!(completed_months(d("2026-01-31"), d("2026-02-28")), 1);
        assert_eq!(completed_months(d("2026-01-15"), d("2027-01-14")), 11);
        assert_eq!(completed_months(d("2026-01-15"), d("2027-01-15")), 12);
        assert_eq!(completed_months(d("2026-01-15"), d("2025-01-15")), 0);
    }

    #[test]
    fn a_six_month_old_gets_solids_now_and_finger_foods_later() {
        let (now, next) = stage_content(d("2025-09-01"), d("2026-03-05")).unwrap();
        let ids: Vec<&str> = now.iter().map(|s| s.id.as_str()).collect();
        assert!(ids.contains(&"feeding_start_solids"), "{ids:?}");
        assert!(!ids.contains(&"feeding_exclusive_milk"), "{ids:?}");
        assert!(ids.contains(&"motor_sitting_without_support"), "{ids:?}");
        let next_ids: Vec<&str> = next.iter().map(|s| s.id.as_str()).collect();
        assert!(next_ids.contains(&"motor_standing_alone"), "{next_ids:?}");
        assert!(
            !next_ids.contains(&"feeding_mashed_finger_foods"),
            "{next_ids:?}"
        );
    }

    #[test]
    fn preterm_babies_get_content_by_corrected_age_until_two() {
        let mut baby = babies_entity::Model {
            id: 1,
            owner_member_id: 1,
            name: "n".into(),
            birth_date: d("2026-01-01"),
            sex: None,
            preterm_weeks: Some(8),
            next_event_date: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        assert_eq!(
            content_birth(&baby, d("2026-06-01")),
            (d("2026-02-26"), true)
        );
        // Not yet at the due date: content for a newborn.
        assert_eq!(
            content_birth(&baby, d("2026-02-01")),
            (d("2026-02-01"), true)
        );
        assert_eq!(
            content_birth(&baby, d("2028-01-01")),
            (d("2026-01-01"), false)
        );
        baby.preterm_weeks = None;
        assert_eq!(
            content_birth(&baby, d("2026-06-01")),
            (d("2026-01-01"), false)
        );
    }
}
