//! What the shop recommends for a baby, each with the reason: products of the baby's age band,
//! products tagged with a vaccine whose dose is due next (from the schedule engine), and
//! products tagged with a stage the baby is in or enters soon.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{shop_products, shop_skus};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;

use super::catalogue::{self, ProductView, band_of, tags_of};
use super::product_status::ON_SALE;
use crate::domain::membership::Tier;
use crate::domain::time::shanghai_date;
use crate::error::AppError;
use crate::service::audience::membership::tier_on;
use crate::service::care::{access, schedule};

/// The next due doses considered.
const NEXT_DOSES: usize = 3;
const MAX_ITEMS: usize = 20;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reason {
    /// `age_band`, `next_dose` or `stage`.
    pub kind: String,
    /// The vaccine id (`next_dose`) or the stage id (`stage`).
    pub subject: Option<String>,
    /// Why, for the parent.
    pub text: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recommendation {
    pub product: ProductView,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NextDose {
    pub vaccine: String,
    pub dose: u8,
    pub name_zh: String,
    /// The day to aim for.
    pub recommended: Option<NaiveDate>,
    /// `due`, `overdue` or `not_yet_due`.
    pub status: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recommendations {
    pub baby_id: i32,
    pub age_days: i64,
    pub next_doses: Vec<NextDose>,
    /// The stages the baby is in or enters within the stage content's horizon.
    pub stages: Vec<String>,
    pub items: Vec<Recommendation>,
}

fn words(tag: &str) -> impl Iterator<Item = String> + '_ {
    tag.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

pub async fn for_baby(
    db: &DatabaseConnection,
    member_id: i32,
    baby_id: i32,
    now: DateTime<Utc>,
) -> Result<Recommendations, AppError> {
    let tier: Option<Tier> = tier_on(db, member_id, now).await?;
    let baby = access::access(db, member_id, baby_id).await?.baby;
    let today = shanghai_date(now);
    let age = crate::domain::time::age_days(baby.birth_date, today);
    let sched = schedule::schedule(db, member_id, baby_id, None, today).await?;
    let mut pending: Vec<_> = sched
        .doses
        .iter()
        .filter(|d| {
            matches!(
                d.status,
                schedule::DoseState::Due
                    | schedule::DoseState::Overdue
                    | schedule::DoseState::NotYetDue
            )
        })
        .collect();
    pending.sort_by_key(|d| d.recommended.unwrap_or(NaiveDate::MAX));
    let next_doses: Vec<NextDose> = pending
        .into_iter()
        .take(NEXT_DOSES)
        .map(|d| NextDose {
            vaccine: d.vaccine.clone(),
            dose: d.dose,
            name_zh: d.name_zh.clone(),
            recommended: d.recommended,
            status: serde_json::to_value(d.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        })
        .collect();
    let mut stages: Vec<(String, String, String)> = Vec::new();
    if let Ok(cat) = crate::domain::stages::catalogue() {
        let content = cat.content(baby.birth_date, today);
        for w in content.now.iter().chain(content.next.iter()) {
            stages.push((
                w.stage.id.clone(),
                w.stage.category.clone(),
                w.stage.title.clone(),
            ));
        }
    }
    let products = shop_products::Entity::find()
        .filter(shop_products::Column::Status.eq(ON_SALE))
        .order_by_desc(shop_products::Column::Id)
        .all(db)
        .await?;
    let mut scored: Vec<(shop_products::Model, Vec<Reason>)> = Vec::new();
    for p in products {
        let mut reasons = Vec::new();
        if let Some(b) = band_of(&p)
            && i64::from(b.min) <= age
            && age <= i64::from(b.max)
        {
            reasons.push(Reason {
                kind: "age_band".into(),
                subject: None,
                text: format!(
                    "for babies {}-{} days old; yours is {age} days",
                    b.min, b.max
                ),
            });
        }
        let tag_words: Vec<String> = tags_of(&p).iter().flat_map(|t| words(t)).collect();
        for d in &next_doses {
            if tag_words.contains(&d.vaccine.to_lowercase()) {
                let when = d
                    .recommended
                    .map(|r| format!(" (recommended on {r})"))
                    .unwrap_or_default();
                reasons.push(Reason {
                    kind: "next_dose".into(),
                    subject: Some(d.vaccine.clone()),
                    text: format!("for {} dose {}, due next{when}", d.name_zh, d.dose),
                });
            }
        }
        for (id, category, title) in &stages {
            if tag_words.contains(&id.to_lowercase())
                || tag_words.contains(&category.to_lowercase())
            {
                reasons.push(Reason {
                    kind: "stage".into(),
                    subject: Some(id.clone()),
                    text: format!("for the stage your baby is in or enters soon: {title}"),
                });
            }
        }
        if !reasons.is_empty() {
            scored.push((p, reasons));
        }
    }
    // Dose and stage reasons before the age band alone; more reasons first; newest first.
    scored.sort_by_key(|(p, r)| {
        let specific = r.iter().filter(|r| r.kind != "age_band").count();
        (
            std::cmp::Reverse(specific),
            std::cmp::Reverse(r.len()),
            std::cmp::Reverse(p.id),
        )
    });
    scored.truncate(MAX_ITEMS);
    let ids: Vec<i32> = scored.iter().map(|(p, _)| p.id).collect();
    let skus = if ids.is_empty() {
        Vec::new()
    } else {
        shop_skus::Entity::find()
            .filter(shop_skus::Column::ProductId.is_in(ids))
            .order_by_asc(shop_skus::Column::Id)
            .all(db)
            .await?
    };
    let items = scored
        .into_iter()
        .map(|(p, reasons)| {
            let mine: Vec<_> = skus
                .iter()
                .filter(|s| s.product_id == p.id)
                .cloned()
                .collect();
            Recommendation {
                product: catalogue::view(&p, &mine, tier, Some(age)),
                reasons,
            }
        })
        .collect();
    Ok(Recommendations {
        baby_id,
        age_days: age,
        next_doses,
        stages: stages.into_iter().map(|(id, _, _)| id).collect(),
        items,
    })
}
