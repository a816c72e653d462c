//! The operators' data: earning rules and the level table (JSON documents in
//! `points_settings`; the domain's defaults while none is stored) and campaigns. Writes take the
//! caller's connection (the staff service's transaction, which records them in the audit log).

use chrono::{DateTime, NaiveDate, Utc};
use entity::{points_campaigns, points_settings};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::points::{Campaign, EarningRule, Level, LevelTable, RuleSet};
use crate::error::{AppError, ErrorCode};
use crate::service::support::is_unique_violation;

use super::config_error;

const RULES: &str = "earning_rules";
const LEVELS: &str = "levels";

/// The earning rules, as operators read and write them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesDocument {
    /// One rule per reason: `{"reason", "award": {"fixed": n} | {"streak": [..]} |
    /// {"per_yuan": n}, "growth", "daily_cap", "daily_growth_cap", "once_per_reference",
    /// "enabled"}`.
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<EarningRule>,
}

/// The level table, as operators read and write it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelsDocument {
    /// `{"id", "name", "threshold", "privileges": {"points_multiplier_bp", "monthly_coupon",
    /// "talent_pool"}}`, thresholds ascending from 0.
    #[schema(value_type = Vec<Object>)]
    pub levels: Vec<Level>,
}

async fn document<C: ConnectionTrait>(db: &C, name: &str) -> Result<Option<String>, AppError> {
    Ok(points_settings::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .map(|row| row.document))
}

async fn store<C: ConnectionTrait>(
    db: &C,
    name: &str,
    document: String,
    operator_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    points_settings::Entity::insert(points_settings::ActiveModel {
        name: Set(name.to_owned()),
        document: Set(document),
        updated_at: Set(now),
        updated_by: Set(operator_id),
    })
    .on_conflict(
        OnConflict::column(points_settings::Column::Name)
            .update_columns([
                points_settings::Column::Document,
                points_settings::Column::UpdatedAt,
                points_settings::Column::UpdatedBy,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

fn stored<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> Result<T, AppError> {
    serde_json::from_str(text)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored points {name} unreadable: {e}")))
}

/// The earning rules in force.
pub async fn rules<C: ConnectionTrait>(db: &C) -> Result<RuleSet, AppError> {
    match document(db, RULES).await? {
        Some(text) => stored(RULES, &text),
        None => Ok(RuleSet::default()),
    }
}

/// The level table in force.
pub async fn levels<C: ConnectionTrait>(db: &C) -> Result<LevelTable, AppError> {
    match document(db, LEVELS).await? {
        Some(text) => stored(LEVELS, &text),
        None => Ok(LevelTable::default()),
    }
}

pub async fn rules_document<C: ConnectionTrait>(db: &C) -> Result<RulesDocument, AppError> {
    Ok(RulesDocument {
        rules: rules(db).await?.rules().to_vec(),
    })
}

pub async fn levels_document<C: ConnectionTrait>(db: &C) -> Result<LevelsDocument, AppError> {
    Ok(LevelsDocument {
        levels: levels(db).await?.levels().to_vec(),
    })
}

fn json<T: Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(e.into()))
}

/// Replaces the earning rules (validated: every problem named with its reason and field).
pub async fn put_rules<C: ConnectionTrait>(
    db: &C,
    input: RulesDocument,
    operator_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<RulesDocument, AppError> {
    let rules = RuleSet::new(input.rules).map_err(|e| config_error("rules", &e))?;
    store(db, RULES, json(&rules)?, operator_id, now).await?;
    Ok(RulesDocument {
        rules: rules.rules().to_vec(),
    })
}

/// Replaces the level table (validated).
pub async fn put_levels<C: ConnectionTrait>(
    db: &C,
    input: LevelsDocument,
    operator_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<LevelsDocument, AppError> {
    let levels = LevelTable::new(input.levels).map_err(|e| config_error("levels", &e))?;
    store(db, LEVELS, json(&levels)?, operator_id, now).await?;
    Ok(LevelsDocument {
        levels: levels.levels().to_vec(),
    })
}

/// A campaign as operators write it: `{"slug", "name", "multiplier_bp" (10000 = ×1, 20000 =
/// double, up to 100000), "starts_on", "ends_on" (optional), "days": "every_day" |
/// {"monthly_day": 18}, "reasons", "levels", "tiers": "any" | {"only": [...]}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct CampaignInput(pub Campaign);

impl utoipa::PartialSchema for CampaignInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .required("slug")
            .required("name")
            .required("multiplier_bp")
            .required("starts_on")
            .required("days")
            .required("reasons")
            .required("levels")
            .required("tiers")
            .description(Some(
                "A points campaign: `slug` (1-64 of a-z 0-9 _ -), `name`, `multiplier_bp` \
                 (10000-100000), `starts_on`, optional `ends_on`, `days` (\"every_day\" or \
                 {\"monthly_day\": 1-31}), `reasons`, `levels`, `tiers` (\"any\" or \
                 {\"only\": [...]}).",
            ))
            .into()
    }
}

impl ToSchema for CampaignInput {}

/// A campaign as operators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignView {
    pub id: i32,
    /// `{"slug", "name", "multiplier_bp", "starts_on", "ends_on", "days": "every_day" |
    /// {"monthly_day": 18}, "reasons", "levels", "tiers": "any" | {"only": [...]}}`.
    #[schema(value_type = Object)]
    pub campaign: Campaign,
    /// When an operator ended it; it multiplies nothing since.
    pub ended_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

fn campaign_view(row: points_campaigns::Model) -> Result<CampaignView, AppError> {
    Ok(CampaignView {
        id: row.id,
        campaign: stored("campaign", &row.definition)?,
        ended_at: row.ended_at,
        created_at: row.created_at,
    })
}

/// Creates a campaign (validated against the level table in force; slugs are unique).
pub async fn create_campaign<C: ConnectionTrait>(
    db: &C,
    campaign: Campaign,
    operator_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<CampaignView, AppError> {
    campaign
        .validate(&levels(db).await?)
        .map_err(|e| config_error("campaign", &e))?;
    let row = points_campaigns::ActiveModel {
        slug: Set(campaign.slug.clone()),
        definition: Set(json(&campaign)?),
        starts_on: Set(campaign.starts_on),
        ends_on: Set(campaign.ends_on),
        ended_at: Set(None),
        created_at: Set(now),
        created_by: Set(operator_id),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::new(
                ErrorCode::CampaignExists,
                format!("campaign: slug `{}` is taken", campaign.slug),
            )
        } else {
            e.into()
        }
    })?;
    campaign_view(row)
}

/// Every campaign, newest first.
pub async fn list_campaigns<C: ConnectionTrait>(db: &C) -> Result<Vec<CampaignView>, AppError> {
    points_campaigns::Entity::find()
        .order_by_desc(points_campaigns::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(campaign_view)
        .collect()
}

/// Ends a campaign now (again: nothing changes).
pub async fn end_campaign<C: ConnectionTrait>(
    db: &C,
    id: i32,
    now: DateTime<Utc>,
) -> Result<CampaignView, AppError> {
    points_campaigns::Entity::update_many()
        .col_expr(points_campaigns::Column::EndedAt, Expr::value(now))
        .filter(points_campaigns::Column::Id.eq(id))
        .filter(points_campaigns::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    let row = points_campaigns::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::CampaignNotFound, "no campaign has this id"))?;
    campaign_view(row)
}

/// Campaigns not ended whose date range covers `day` (the domain decides the rest).
pub async fn campaigns_on<C: ConnectionTrait>(
    db: &C,
    day: NaiveDate,
) -> Result<Vec<Campaign>, AppError> {
    points_campaigns::Entity::find()
        .filter(points_campaigns::Column::EndedAt.is_null())
        .filter(points_campaigns::Column::StartsOn.lte(day))
        .filter(
            sea_orm::Condition::any()
                .add(points_campaigns::Column::EndsOn.is_null())
                .add(points_campaigns::Column::EndsOn.gte(day)),
        )
        .all(db)
        .await?
        .iter()
        .map(|row| stored("campaign", &row.definition))
        .collect()
}
