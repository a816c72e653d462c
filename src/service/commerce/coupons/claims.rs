//! Parents' side of coupons: the templates a member may claim now (with why each is shown),
//! claims, the member's coupons, and operators' grants.
//!
//! A claim is one [`ledger::apply`]: the coupon row is the event (unique by member and
//! `request_id`, so a retry answers the same coupon), the member's remaining claims of the
//! template (opened at the per-member limit) move down by one while they stay at or above zero,
//! then the template's remaining stock likewise, only while it is live. Parallel claims cannot
//! exceed either: the guarded updates serialise on their rows, and a refused one writes
//! nothing. Locks are taken in one order (member's counter, then template), so claims never
//! deadlock.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    babies, baby_caregivers, coupon_member_claims as member_claims, coupon_templates as templates,
    coupons, members, merchants,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::state::{UNUSED, USED};
use super::status::{LIVE, PAUSED};
use super::{checked_request_id, read, template_not_found};
use crate::domain::coupons::{
    AgeBand, CouponKind, age_matches, city_matches, coupon_validity, why_shown,
};
use crate::error::{AppError, ErrorCode};
use crate::service::ledger::{self, Entry, Guard};
use crate::service::points;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    pub template_id: i32,
    /// The client's key for this claim (1-64 characters): the same key again answers the same
    /// coupon.
    #[schema(min_length = 1, max_length = 64)]
    pub request_id: String,
}

/// A template a member may claim now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AvailableTemplate {
    pub template_id: i32,
    pub merchant_id: Option<i32>,
    /// Null for the platform's own shop.
    pub merchant_name: Option<String>,
    pub title: String,
    pub description: String,
    pub kind: CouponKind,
    pub amount_fen: Option<i64>,
    pub threshold_fen: i64,
    pub percent_off: Option<i32>,
    pub max_off_fen: Option<i64>,
    pub points_cost: i32,
    pub claim_to: DateTime<Utc>,
    /// Coupons left.
    pub remaining: i32,
    /// How many more you may claim.
    pub you_may_claim: i32,
    /// Why it is shown to you ("for babies 6–12 months").
    pub why: String,
}

/// A member's coupon.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CouponView {
    pub id: i64,
    pub template_id: i32,
    pub merchant_id: Option<i32>,
    pub title: String,
    pub kind: CouponKind,
    pub amount_fen: Option<i64>,
    pub threshold_fen: i64,
    pub percent_off: Option<i32>,
    pub max_off_fen: Option<i64>,
    /// `unused`, `used` or `expired` (unused past its validity).
    pub status: String,
    pub valid_from: DateTime<Utc>,
    /// Valid before this instant.
    pub valid_until: DateTime<Utc>,
    pub claimed_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub(crate) fn coupon_status(coupon: &coupons::Model, now: DateTime<Utc>) -> &'static str {
    if coupon.status == USED {
        "used"
    } else if coupon.status == super::state::LOCKED {
        "locked"
    } else if now >= coupon.valid_until {
        "expired"
    } else {
        "unused"
    }
}

pub(crate) fn coupon_view(
    coupon: &coupons::Model,
    template: &templates::Model,
    now: DateTime<Utc>,
) -> Result<CouponView, AppError> {
    Ok(CouponView {
        id: coupon.id,
        template_id: coupon.template_id,
        merchant_id: coupon.merchant_id,
        title: template.title.clone(),
        kind: read(template)?.kind,
        amount_fen: template.amount_fen,
        threshold_fen: template.threshold_fen,
        percent_off: template.percent_off,
        max_off_fen: template.max_off_fen,
        status: coupon_status(coupon, now).to_owned(),
        valid_from: coupon.valid_from,
        valid_until: coupon.valid_until,
        claimed_at: coupon.claimed_at,
        used_at: coupon.used_at,
    })
}

/// What eligibility reads of a member: their babies' birth dates and their city.
struct Profile {
    births: Vec<NaiveDate>,
    city: Option<String>,
}

async fn profile<C: ConnectionTrait>(db: &C, member_id: i32) -> Result<Profile, AppError> {
    let baby_ids: Vec<i32> = baby_caregivers::Entity::find()
        .select_only()
        .column(baby_caregivers::Column::BabyId)
        .filter(baby_caregivers::Column::MemberId.eq(member_id))
        .into_tuple()
        .all(db)
        .await?;
    let births: Vec<NaiveDate> = if baby_ids.is_empty() {
        Vec::new()
    } else {
        babies::Entity::find()
            .select_only()
            .column(babies::Column::BirthDate)
            .filter(babies::Column::Id.is_in(baby_ids))
            .into_tuple()
            .all(db)
            .await?
    };
    let city = members::Entity::find_by_id(member_id)
        .one(db)
        .await?
        .and_then(|m| m.city);
    Ok(Profile { births, city })
}

fn eligible(
    band: Option<AgeBand>,
    cities: Option<&[String]>,
    p: &Profile,
    today: NaiveDate,
) -> bool {
    age_matches(band, &p.births, today) && city_matches(cities, p.city.as_deref())
}

fn not_claimable(message: &str) -> AppError {
    AppError::new(ErrorCode::NotClaimable, message)
}

fn sold_out() -> AppError {
    AppError::new(ErrorCode::SoldOut, "no coupons of this template are left")
}

/// The live templates `member_id` may claim now, soonest closing first.
pub async fn available(
    db: &DatabaseConnection,
    member_id: i32,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Vec<AvailableTemplate>, AppError> {
    let rows = templates::Entity::find()
        .filter(templates::Column::Status.eq(LIVE))
        .filter(templates::Column::ClaimFrom.lte(now))
        .filter(templates::Column::ClaimTo.gt(now))
        .filter(templates::Column::Remaining.gt(0))
        .order_by_asc(templates::Column::ClaimTo)
        .order_by_asc(templates::Column::Id)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let merchant_rows: BTreeMap<i32, merchants::Model> = merchants::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let used_up: BTreeMap<i32, i32> = member_claims::Entity::find()
        .filter(member_claims::Column::MemberId.eq(member_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.template_id, c.remaining))
        .collect();
    let me = profile(db, member_id).await?;
    let mut out = Vec::new();
    for row in rows {
        let merchant = row.merchant_id.and_then(|id| merchant_rows.get(&id));
        if merchant.is_some_and(|m| m.status != "active") {
            continue;
        }
        let you_may_claim = used_up
            .get(&row.id)
            .copied()
            .unwrap_or(row.per_member_limit);
        if you_may_claim <= 0 {
            continue;
        }
        let rules = read(&row)?;
        if !eligible(rules.age_band, rules.cities.as_deref(), &me, today) {
            continue;
        }
        if coupon_validity(rules.validity, now).1 <= now {
            continue;
        }
        out.push(AvailableTemplate {
            template_id: row.id,
            merchant_id: row.merchant_id,
            merchant_name: merchant.map(|m| m.name.clone()),
            why: why_shown(rules.age_band, rules.cities.as_deref()),
            title: row.title,
            description: row.description,
            kind: rules.kind,
            amount_fen: row.amount_fen,
            threshold_fen: row.threshold_fen,
            percent_off: row.percent_off,
            max_off_fen: row.max_off_fen,
            points_cost: row.points_cost,
            claim_to: row.claim_to,
            remaining: row.remaining,
            you_may_claim,
        });
    }
    Ok(out)
}

/// The guard that takes one coupon from a live template's stock.
fn stock_guard(template_id: i32, statuses: &[&str]) -> Guard {
    Guard::delta(
        templates::Entity::update_many()
            .filter(templates::Column::Id.eq(template_id))
            .filter(templates::Column::Status.is_in(statuses.iter().copied())),
        templates::Column::Remaining,
        -1,
        sold_out(),
    )
}

fn coupon_row(
    template: &templates::Model,
    member_id: i32,
    claim_key: String,
    now: DateTime<Utc>,
) -> Result<coupons::ActiveModel, AppError> {
    let (valid_from, valid_until) = coupon_validity(read(template)?.validity, now);
    if valid_until <= now {
        return Err(not_claimable(
            "the coupons of this template are no longer valid",
        ));
    }
    Ok(coupons::ActiveModel {
        template_id: Set(template.id),
        merchant_id: Set(template.merchant_id),
        member_id: Set(Some(member_id)),
        claim_key: Set(claim_key),
        status: Set(UNUSED.to_owned()),
        valid_from: Set(valid_from),
        valid_until: Set(valid_until),
        points_spent: Set(0),
        claimed_at: Set(now),
        used_at: Set(None),
        ..Default::default()
    })
}

/// Claims a coupon of `request.template_id` for `member_id`; answers the coupon and whether it
/// is a replay of an earlier claim with the same `request_id`.
pub async fn claim(
    db: &DatabaseConnection,
    member_id: i32,
    request: &ClaimRequest,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<(CouponView, bool), AppError> {
    let request_id = checked_request_id(&request.request_id)?;
    // A retry is answered before anything else is checked: the claim happened.
    if let Some(coupon) = coupons::Entity::find()
        .filter(coupons::Column::MemberId.eq(member_id))
        .filter(coupons::Column::ClaimKey.eq(request_id.as_str()))
        .one(db)
        .await?
    {
        let template = templates::Entity::find_by_id(coupon.template_id)
            .one(db)
            .await?
            .ok_or_else(template_not_found)?;
        return Ok((coupon_view(&coupon, &template, now)?, true));
    }
    let template = templates::Entity::find_by_id(request.template_id)
        .one(db)
        .await?
        .filter(|t| [LIVE, PAUSED, super::status::ENDED].contains(&t.status.as_str()))
        .ok_or_else(template_not_found)?;
    if template.status != LIVE {
        return Err(not_claimable("the template is not live"));
    }
    if now < template.claim_from || now >= template.claim_to {
        return Err(not_claimable("outside the template's claim window"));
    }
    if let Some(merchant_id) = template.merchant_id {
        let merchant = merchants::Entity::find_by_id(merchant_id).one(db).await?;
        if merchant.is_none_or(|m| m.status != "active") {
            return Err(not_claimable("the merchant is suspended"));
        }
    }
    let rules = read(&template)?;
    let me = profile(db, member_id).await?;
    if !age_matches(rules.age_band, &me.births, today) {
        return Err(AppError::new(
            ErrorCode::NotEligible,
            format!(
                "none of your babies is in the template's age band ({})",
                why_shown(rules.age_band, None)
            ),
        ));
    }
    if !city_matches(rules.cities.as_deref(), me.city.as_deref()) {
        return Err(AppError::new(
            ErrorCode::NotEligible,
            "your city is not one of the template's cities",
        ));
    }
    let entry = Entry::new(coupon_row(&template, member_id, request_id, now)?)
        .keyed_by([coupons::Column::MemberId, coupons::Column::ClaimKey])
        .opening(
            member_claims::ActiveModel {
                template_id: Set(template.id),
                member_id: Set(member_id),
                remaining: Set(template.per_member_limit),
                ..Default::default()
            },
            [
                member_claims::Column::TemplateId,
                member_claims::Column::MemberId,
            ],
        )
        .guard(Guard::delta(
            member_claims::Entity::update_many()
                .filter(member_claims::Column::TemplateId.eq(template.id))
                .filter(member_claims::Column::MemberId.eq(member_id)),
            member_claims::Column::Remaining,
            -1,
            AppError::new(
                ErrorCode::ClaimLimitReached,
                format!(
                    "one member may claim {} of these",
                    template.per_member_limit
                ),
            ),
        ))
        .guard(stock_guard(template.id, &[LIVE]));

    let txn = db.begin().await?;
    let outcome = match ledger::apply(&txn, entry).await {
        Ok(outcome) => outcome,
        Err(refusal) if refusal.error_code() == ErrorCode::SoldOut => {
            drop(txn);
            // Refused by the template's guard: sold out, or no longer live.
            let now_row = templates::Entity::find_by_id(template.id).one(db).await?;
            return Err(match now_row {
                Some(t) if t.status != LIVE => not_claimable("the template is not live"),
                _ => refusal,
            });
        }
        Err(other) => return Err(other),
    };
    let replayed = outcome.is_replay();
    let coupon = outcome.event().clone();
    if !replayed && template.points_cost > 0 {
        pay_points_cost(&txn, member_id, &template, &coupon, now).await?;
    }
    txn.commit().await?;
    Ok((coupon_view(&coupon, &template, now)?, replayed))
}

/// A claim's `points_cost`, paid through the points ledger inside the claim's transaction
/// (after the stock and the limit moved, before the commit), so a refusal (409
/// `insufficient_points`) undoes the whole claim. Keyed by the coupon, which the claim's own key
/// makes once per claim; the coupon records what it cost.
async fn pay_points_cost<C: ConnectionTrait + TransactionTrait>(
    txn: &C,
    member_id: i32,
    template: &templates::Model,
    coupon: &coupons::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    points::spend(
        txn,
        member_id,
        i64::from(template.points_cost),
        "coupon_claim",
        &format!("coupon:{}", coupon.id),
        now,
    )
    .await?;
    coupons::Entity::update_many()
        .col_expr(
            coupons::Column::PointsSpent,
            Expr::value(template.points_cost),
        )
        .filter(coupons::Column::Id.eq(coupon.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The member's coupons, newest first; only those in `status` (`unused`, `used`, `expired`)
/// when given.
pub async fn mine(
    db: &DatabaseConnection,
    member_id: i32,
    status: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<CouponView>, AppError> {
    let rows = coupons::Entity::find()
        .filter(coupons::Column::MemberId.eq(member_id))
        .order_by_desc(coupons::Column::Id)
        .all(db)
        .await?;
    let ids: BTreeSet<i32> = rows.iter().map(|c| c.template_id).collect();
    let template_rows: BTreeMap<i32, templates::Model> = templates::Entity::find()
        .filter(templates::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let mut out = Vec::new();
    for coupon in rows {
        if status.is_some_and(|s| s != coupon_status(&coupon, now)) {
            continue;
        }
        let template = template_rows
            .get(&coupon.template_id)
            .ok_or_else(template_not_found)?;
        out.push(coupon_view(&coupon, template, now)?);
    }
    Ok(out)
}

/// Which members an operator's grant reaches.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantSegment {
    /// Members with a baby (shared with them) at least this many days old.
    #[serde(default)]
    pub min_age_days: Option<i64>,
    #[serde(default)]
    pub max_age_days: Option<i64>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// Names this grant (1-64 characters): a member gets at most one coupon per key, so a
    /// re-run grants nobody twice.
    pub grant_key: String,
    /// These members (1-10000)...
    #[serde(default)]
    pub member_ids: Option<Vec<i32>>,
    /// ...or the members of a segment (as push campaigns target them).
    #[serde(default)]
    pub segment: Option<GrantSegment>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct GrantReport {
    /// Members who got a coupon now.
    pub granted: u64,
    /// Members who had this grant's coupon already.
    pub already: u64,
    /// Members left without one because the stock ran out.
    pub sold_out: u64,
    /// Member ids that name no member.
    pub unknown: u64,
}

/// Grants one coupon of `template_id` to each of `member_ids` under `grant_key`: idempotent
/// per member and key (the coupon's claim key is `grant:<key>`), taking stock like a claim
/// (a live or paused template), without the claim window, eligibility or per-member limit.
/// Membership's monthly pack and referral rewards call this too.
pub async fn grant(
    db: &DatabaseConnection,
    template_id: i32,
    grant_key: &str,
    member_ids: &[i32],
    now: DateTime<Utc>,
) -> Result<GrantReport, AppError> {
    let key = grant_key.trim();
    if key.is_empty() || key.chars().count() > 64 || key.chars().any(char::is_control) {
        return Err(AppError::new(
            ErrorCode::InvalidGrant,
            "grant_key must be 1-64 characters without control characters",
        ));
    }
    let template = templates::Entity::find_by_id(template_id)
        .one(db)
        .await?
        .ok_or_else(template_not_found)?;
    if ![LIVE, PAUSED].contains(&template.status.as_str()) {
        return Err(AppError::new(
            ErrorCode::TemplateStateConflict,
            format!(
                "the template is {}; grants need it live or paused",
                template.status
            ),
        ));
    }
    let wanted: BTreeSet<i32> = member_ids.iter().copied().collect();
    let known: BTreeSet<i32> = members::Entity::find()
        .select_only()
        .column(members::Column::Id)
        .filter(members::Column::Id.is_in(wanted.iter().copied()))
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut report = GrantReport {
        unknown: (wanted.len() - known.len()) as u64,
        ..GrantReport::default()
    };
    let claim_key = format!("grant:{key}");
    for member_id in known {
        let entry = Entry::new(coupon_row(&template, member_id, claim_key.clone(), now)?)
            .keyed_by([coupons::Column::MemberId, coupons::Column::ClaimKey])
            .guard(stock_guard(template.id, &[LIVE, PAUSED]));
        match ledger::apply(db, entry).await {
            Ok(outcome) if outcome.is_replay() => report.already += 1,
            Ok(_) => report.granted += 1,
            Err(e) if e.error_code() == ErrorCode::SoldOut => report.sold_out += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

/// The members a segment reaches as of `today`.
pub async fn segment_members(
    db: &DatabaseConnection,
    segment: &GrantSegment,
    today: NaiveDate,
) -> Result<Vec<i32>, AppError> {
    let band = match (segment.min_age_days, segment.max_age_days) {
        (None, None) => None,
        (min, max) => Some(AgeBand {
            min: min.unwrap_or(0),
            max: max.unwrap_or(i64::MAX),
        }),
    };
    if band.is_some_and(|b| b.min < 0 || b.min > b.max) {
        return Err(AppError::new(
            ErrorCode::InvalidGrant,
            "the segment's age band needs 0 <= min_age_days <= max_age_days",
        ));
    }
    let rows = members::Entity::find()
        .order_by_asc(members::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for m in rows {
        if segment.province.is_some() && m.province != segment.province {
            continue;
        }
        if segment.city.is_some() && m.city != segment.city {
            continue;
        }
        if band.is_some() {
            let p = profile(db, m.id).await?;
            if !age_matches(band, &p.births, today) {
                continue;
            }
        }
        out.push(m.id);
    }
    Ok(out)
}

/// An operator's grant: the members listed, or the segment's.
pub async fn grant_request(
    db: &DatabaseConnection,
    template_id: i32,
    request: &GrantRequest,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<GrantReport, AppError> {
    let members = match (&request.member_ids, &request.segment) {
        (Some(ids), None) if (1..=10_000).contains(&ids.len()) => ids.clone(),
        (None, Some(segment)) => segment_members(db, segment, today).await?,
        _ => {
            return Err(AppError::new(
                ErrorCode::InvalidGrant,
                "give either member_ids (1-10000) or a segment",
            ));
        }
    };
    grant(db, template_id, &request.grant_key, &members, now).await
}
