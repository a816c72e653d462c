//! A baby's feed: the stage content (`data/stages/`) and articles that fit the baby's age now,
//! what starts within the next weeks, and the doses coming up with the articles that go with
//! them (fever care before a DTaP dose).
//!
//! The age rules and the stage windows are [`crate::domain::stages`]: content follows the corrected
//! age of a preterm baby until 24 months; doses always follow the chronological age.

use chrono::{Days, NaiveDate};
use entity::articles;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;

use super::access;
use super::schedule::{self, DoseState, Payer};
use crate::domain::schedule::Status;
use crate::domain::stages::{self, Catalogue, NEXT_CONTENT_DAYS, StageDataError, Window};
use crate::error::{AppError, ErrorCode};

/// Doses that become due within this many days are listed with the due and overdue ones.
pub const UPCOMING_DOSE_DAYS: u64 = 30;
const ARTICLES_PER_DOSE: usize = 3;

fn stage_data_fault(e: StageDataError) -> AppError {
    AppError::Internal(anyhow::Error::new(e))
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

fn stage_item(catalogue: &Catalogue, window: &Window<'_>) -> StageItem {
    let stage = window.stage;
    StageItem {
        id: stage.id.clone(),
        category: stage.category.clone(),
        title: stage.title.clone(),
        summary: stage.summary.clone(),
        starts_on: window.starts_on,
        ends_on: window.ends_on,
        sources: catalogue
            .sources_of(stage)
            .map(|(id, s)| SourceRef {
                id: id.to_owned(),
                title: s.title.clone(),
                url: s.url.clone(),
            })
            .collect(),
        verification: stage.verification.level.clone(),
        verification_note: stage.verification.note.clone(),
    }
}

pub async fn feed<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
    today: NaiveDate,
) -> Result<Feed, AppError> {
    let baby = access::access(db, member_id, baby_id).await?.baby;
    let content = stages::content_birth(
        baby.birth_date,
        baby.preterm_weeks.and_then(|w| u32::try_from(w).ok()),
        today,
    );
    let age_days = (today - baby.birth_date).num_days().max(0);
    let content_age_days = (today - content.birth).num_days().max(0);
    let catalogue = stages::catalogue().map_err(stage_data_fault)?;
    let windows = catalogue.content(content.birth, today);
    let stages_now = windows
        .now
        .iter()
        .map(|w| stage_item(catalogue, w))
        .collect();
    let stages_next = windows
        .next
        .iter()
        .map(|w| stage_item(catalogue, w))
        .collect();

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
            months: stages::completed_months(baby.birth_date, today),
            content_age_days,
            corrected_for_prematurity: content.corrected,
        },
        stages_now,
        stages_next,
        articles_now,
        articles_next,
        upcoming_doses,
    })
}

/// A published article read by a member: points for the stage article of the week, once per
/// ISO week (Asia/Shanghai).
pub async fn read_article(
    db: &sea_orm::DatabaseConnection,
    member_id: i32,
    article_id: i32,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Article, AppError> {
    let found = article(db, article_id).await?;
    let week = crate::domain::points::week_reference(crate::domain::time::shanghai_date(now));
    crate::service::points::earn::reward(
        db,
        member_id,
        crate::domain::points::Reason::StageArticleRead,
        &week,
        now,
    )
    .await;
    Ok(found)
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
