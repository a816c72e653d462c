//! What operators see: members by tier and activity, a member's periods, payments and refunds.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::membership_periods as periods_t;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use super::{MembershipView, period_state, status, tier_of};
use crate::domain::membership::Tier;
use crate::error::{AppError, ErrorCode};
use crate::service::commerce::payments::{self, OrderView};

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
pub struct MembershipFilter {
    /// `basic`, `advanced` or `premium`: members whose active tier it is.
    pub tier: Option<String>,
    /// true: members with an active period now; false: members whose periods have all ended.
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberMembership {
    pub member_id: i32,
    pub tier: Option<String>,
    pub active: bool,
    pub last_period_end: DateTime<Utc>,
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &MembershipFilter,
    now: DateTime<Utc>,
) -> Result<Vec<MemberMembership>, AppError> {
    let tier = match filter
        .tier
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(t) => Some(Tier::parse(t).ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidMembershipFilter,
                "tier: not basic, advanced or premium",
            )
        })?),
        None => None,
    };
    let rows = periods_t::Entity::find()
        .filter(periods_t::Column::State.ne(period_state::REMOVED))
        .filter(periods_t::Column::MemberId.is_not_null())
        .order_by_asc(periods_t::Column::MemberId)
        .all(db)
        .await?;
    let mut by_member: BTreeMap<i32, Vec<periods_t::Model>> = BTreeMap::new();
    for p in rows {
        if let Some(m) = p.member_id {
            by_member.entry(m).or_default().push(p);
        }
    }
    Ok(by_member
        .into_iter()
        .filter_map(|(member_id, periods)| {
            let t = tier_of(&periods, now);
            let last = periods.iter().map(|p| p.ends_at).max()?;
            let keep = tier.is_none_or(|want| t == Some(want))
                && filter.active.is_none_or(|a| a == t.is_some());
            keep.then(|| MemberMembership {
                member_id,
                tier: t.map(|t| t.as_str().to_owned()),
                active: t.is_some(),
                last_period_end: last,
            })
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefundView {
    pub id: i32,
    pub order_id: i32,
    pub out_refund_no: String,
    pub amount_fen: i64,
    pub reason: Option<String>,
    pub automatic: bool,
    /// `requested`, `processing`, `abnormal`, `success` or `closed`.
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
}

impl From<&entity::pay_refunds::Model> for RefundView {
    fn from(r: &entity::pay_refunds::Model) -> Self {
        Self {
            id: r.id,
            order_id: r.order_id,
            out_refund_no: r.out_refund_no.clone(),
            amount_fen: r.amount_fen,
            reason: r.reason.clone(),
            automatic: r.automatic,
            state: r.state.clone(),
            created_at: r.created_at,
            settled_at: r.settled_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberDetail {
    pub member_id: i32,
    pub membership: MembershipView,
    pub orders: Vec<OrderView>,
    pub refunds: Vec<RefundView>,
}

pub async fn member(
    db: &DatabaseConnection,
    member_id: i32,
    now: DateTime<Utc>,
) -> Result<MemberDetail, AppError> {
    let orders = payments::orders_of_member(db, member_id).await?;
    let mut refunds = Vec::new();
    for o in &orders {
        refunds.extend(
            payments::refunds_of_order(db, o.id)
                .await?
                .iter()
                .map(RefundView::from),
        );
    }
    Ok(MemberDetail {
        member_id,
        membership: status(db, member_id, now).await?,
        orders: orders.iter().map(OrderView::from).collect(),
        refunds,
    })
}
