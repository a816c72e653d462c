//! The paid membership: plans and benefits (data in `domain::membership`), orders through
//! `payments`, periods that stack, upgrades that convert unused value into days, refunds that
//! remove or shorten periods, renewal reminders through the push outbox.
//!
//! A member's active tier is `audience::membership::tier_on` (re-exported here), so features
//! below commerce (points) can ask it too. The monthly coupon pack and the points
//! multiplier are benefit data here; their features apply them (see [`benefits`]).

pub mod admin;
pub mod benefits;
mod periods;
pub mod reminders;

use chrono::{DateTime, Utc};
use entity::{members, membership_periods as periods_t};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde::{Deserialize, Serialize};

use crate::domain::membership::{self as rules, Benefit};
use crate::error::{AppError, ErrorCode};
use crate::service::commerce::payments::{self, NewOrder};
use crate::service::support::required_text;
use crate::wechat::pay::{PayClient, PayParams};

pub use crate::service::audience::membership::{live_periods, period_state, tier_of, tier_on};
pub use periods::Fulfilment;

pub const PURPOSE: &str = "membership";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub id: String,
    /// `basic`, `advanced` or `premium`.
    pub tier: String,
    pub months: u32,
    pub price_fen: i64,
    /// `price_fen / months`, rounded down.
    pub monthly_fen: i64,
    #[schema(value_type = Vec<Object>)]
    pub benefits: Vec<Benefit>,
}

pub fn plans() -> Vec<PlanView> {
    rules::PLANS
        .iter()
        .map(|p| PlanView {
            id: p.id.to_owned(),
            tier: p.tier.as_str().to_owned(),
            months: p.months,
            price_fen: p.price_fen,
            monthly_fen: p.price_fen / i64::from(p.months.max(1)),
            benefits: rules::benefits(p.tier),
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodView {
    pub id: i32,
    pub plan_id: String,
    pub tier: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub paid_fen: i64,
    /// `active`, `removed` or `shortened`.
    pub state: String,
    pub order_id: Option<i32>,
}

impl From<&periods_t::Model> for PeriodView {
    fn from(p: &periods_t::Model) -> Self {
        Self {
            id: p.id,
            plan_id: p.plan_id.clone(),
            tier: p.tier.clone(),
            starts_at: p.starts_at,
            ends_at: p.ends_at,
            paid_fen: p.paid_fen,
            state: p.state.clone(),
            order_id: p.order_id,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MembershipView {
    /// The active tier, or null.
    pub tier: Option<String>,
    pub active: bool,
    /// When the benefits stop (the end of an Asia/Shanghai day), counting stacked periods.
    pub current_period_end: Option<DateTime<Utc>>,
    pub periods: Vec<PeriodView>,
    #[schema(value_type = Vec<Object>)]
    pub benefits: Vec<Benefit>,
}

pub async fn status(
    db: &DatabaseConnection,
    member_id: i32,
    now: DateTime<Utc>,
) -> Result<MembershipView, AppError> {
    let periods = live_periods(db, member_id).await?;
    let tier = tier_of(&periods, now);
    // The end of the run of periods that covers now (stacked ones included).
    let mut end: Option<DateTime<Utc>> = None;
    for p in &periods {
        let covers = p.starts_at <= now && now < p.ends_at;
        let continues = end.is_some_and(|e| p.starts_at <= e && p.ends_at > e);
        if covers || continues {
            end = Some(end.map_or(p.ends_at, |e| e.max(p.ends_at)));
        }
    }
    Ok(MembershipView {
        tier: tier.map(|t| t.as_str().to_owned()),
        active: tier.is_some(),
        current_period_end: end,
        periods: periods.iter().map(PeriodView::from).collect(),
        benefits: tier.map(rules::benefits).unwrap_or_default(),
    })
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct OrderRequest {
    /// One of `GET /api/v1/membership/plans`.
    pub plan_id: String,
    /// The client's id of this purchase: the same id answers the same order.
    pub request_id: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderCreated {
    pub order_id: i32,
    pub out_trade_no: String,
    pub amount_fen: i64,
    /// Pass to `wx.requestPayment` as they are.
    #[schema(value_type = Object)]
    pub pay_params: PayParams,
}

/// A membership order and its `wx.requestPayment` parameters.
pub async fn order(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    member_id: i32,
    req: &OrderRequest,
    now: DateTime<Utc>,
) -> Result<OrderCreated, AppError> {
    let pay = pay.ok_or_else(payments::disabled)?;
    let plan = rules::plan(req.plan_id.trim())
        .ok_or_else(|| AppError::new(ErrorCode::UnknownPlan, "plan_id: no such plan"))?;
    let request_id = required_text(
        &req.request_id,
        64,
        ErrorCode::InvalidRequestId,
        "request_id",
    )?;
    let member = members::Entity::find_by_id(member_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::MemberNotFound, "log in again"))?;
    let description = format!(
        "babyvax {} membership, {} month(s)",
        plan.tier.as_str(),
        plan.months
    );
    let created = payments::create_order(
        db,
        pay,
        NewOrder {
            member_id,
            openid: &member.openid,
            purpose: PURPOSE,
            reference: plan.id,
            amount_fen: plan.price_fen,
            description: &description,
            request_id: &request_id,
            pay_within: payments::CLOSE_AFTER,
        },
        now,
    )
    .await?;
    Ok(OrderCreated {
        order_id: created.order.id,
        out_trade_no: created.order.out_trade_no,
        amount_fen: created.order.amount_fen,
        pay_params: created.pay_params,
    })
}
