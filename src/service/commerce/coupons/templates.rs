//! Coupon templates: created by a merchant's owner (as a `draft`, submitted for approval) or by
//! an operator for the platform's own shop (`live` at once); an operator approves (`pending →
//! live`) or rejects (`pending → rejected`, with a reason; the owner may submit again). Live
//! templates pause and resume, and end for good. Operators change the stock; it never goes
//! below what was claimed (the template's `remaining` stays at or above zero). Every change is
//! one guarded update (`WHERE status IN (...)`) with its audit row, in one transaction.

use chrono::{DateTime, Utc};
use entity::coupon_templates as templates;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::status::{DRAFT, ENDED, LIVE, PAUSED, PENDING, REJECTED};
use super::{TemplateView, field_error, template_not_found, template_view};
use crate::domain::coupons::{MAX_STOCK, TemplateInput, TemplateRules, Validity, check_template};
use crate::error::{AppError, ErrorCode};
use crate::service::staff::AccountKind;
use crate::service::staff::audit::{self, Actor, Target};
use crate::service::support::required_text;

/// Whose templates an action may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A merchant's staff: only that merchant's templates (others' do not exist for them).
    Merchant(i32),
    /// Operators: every template.
    Operator,
}

/// A change of a template's stock.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockChange {
    /// Coupons to add (negative: to withdraw unclaimed ones; never below what was claimed).
    pub add: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// 1-200 characters, shown to the merchant.
    pub reason: String,
}

/// The lifecycle actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Submit,
    Approve,
    Pause,
    Resume,
    End,
}

impl Action {
    fn edge(self) -> (&'static [&'static str], &'static str) {
        match self {
            Action::Submit => (&[DRAFT, REJECTED], PENDING),
            Action::Approve => (&[PENDING], LIVE),
            Action::Pause => (&[LIVE], PAUSED),
            Action::Resume => (&[PAUSED], LIVE),
            Action::End => (&[LIVE, PAUSED], ENDED),
        }
    }

    fn audit(self) -> &'static str {
        match self {
            Action::Submit => "coupon_template.submit",
            Action::Approve => "coupon_template.approve",
            Action::Pause => "coupon_template.pause",
            Action::Resume => "coupon_template.resume",
            Action::End => "coupon_template.end",
        }
    }
}

fn target(id: i32) -> Option<Target> {
    Some(Target {
        kind: "coupon_template",
        id: id.to_string(),
    })
}

fn scoped(
    mut update: sea_orm::UpdateMany<templates::Entity>,
    scope: Scope,
) -> sea_orm::UpdateMany<templates::Entity> {
    if let Scope::Merchant(merchant_id) = scope {
        update = update.filter(templates::Column::MerchantId.eq(merchant_id));
    }
    update
}

async fn find_scoped<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    id: i32,
) -> Result<templates::Model, AppError> {
    let row = templates::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(template_not_found)?;
    match scope {
        Scope::Merchant(merchant_id) if row.merchant_id != Some(merchant_id) => {
            Err(template_not_found())
        }
        _ => Ok(row),
    }
}

/// The columns a template's rules set (stock included: `remaining` starts at the total).
fn rule_columns(rules: TemplateRules, now: DateTime<Utc>) -> templates::ActiveModel {
    let (validity_type, valid_from, valid_to, valid_days) = match rules.validity {
        Validity::Fixed { from, to } => ("fixed", Some(from), Some(to), None),
        Validity::Relative { days } => ("relative", None, None, i32::try_from(days).ok()),
    };
    let cities = rules
        .cities
        .as_ref()
        .map(|c| serde_json::to_string(c).unwrap_or_else(|_| "[]".to_owned()));
    templates::ActiveModel {
        title: Set(rules.title),
        description: Set(rules.description),
        kind: Set(rules.kind.as_str().to_owned()),
        amount_fen: Set(rules.amount_fen),
        threshold_fen: Set(rules.threshold_fen),
        percent_off: Set(rules.percent_off),
        max_off_fen: Set(rules.max_off_fen),
        validity_type: Set(validity_type.to_owned()),
        valid_from: Set(valid_from),
        valid_to: Set(valid_to),
        valid_days: Set(valid_days),
        total_stock: Set(rules.total_stock),
        remaining: Set(rules.total_stock),
        per_member_limit: Set(rules.per_member_limit),
        claim_from: Set(rules.claim_from),
        claim_to: Set(rules.claim_to),
        age_min_days: Set(rules.age_band.and_then(|b| i32::try_from(b.min).ok())),
        age_max_days: Set(rules.age_band.and_then(|b| i32::try_from(b.max).ok())),
        cities: Set(cities),
        points_cost: Set(rules.points_cost),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Creates a template: a merchant's as a `draft`, an operator's (the platform's own shop) `live`.
pub async fn create(
    db: &DatabaseConnection,
    by: &Actor,
    scope: Scope,
    input: &TemplateInput,
    now: DateTime<Utc>,
) -> Result<TemplateView, AppError> {
    let rules = check_template(input).map_err(field_error)?;
    let (merchant_id, status) = match scope {
        Scope::Merchant(id) => (Some(id), DRAFT),
        Scope::Operator => (None, LIVE),
    };
    let by_kind = match by.kind {
        AccountKind::Operator => "operator",
        AccountKind::MerchantStaff => "merchant_staff",
    };
    let txn = db.begin().await?;
    let row = templates::ActiveModel {
        merchant_id: Set(merchant_id),
        status: Set(status.to_owned()),
        reject_reason: Set(None),
        created_by: Set(format!("{by_kind}:{}", by.id)),
        created_at: Set(now),
        ..rule_columns(rules, now)
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, by, "coupon_template.create", target(row.id), now).await?;
    txn.commit().await?;
    template_view(row)
}

/// Replaces a draft's (or a rejected template's) fields, checked as on creation; nothing else
/// can be edited (a pending or live template's terms are what the operator approved).
pub async fn edit(
    db: &DatabaseConnection,
    by: &Actor,
    merchant_id: i32,
    id: i32,
    input: &TemplateInput,
    now: DateTime<Utc>,
) -> Result<TemplateView, AppError> {
    let rules = check_template(input).map_err(field_error)?;
    let scope = Scope::Merchant(merchant_id);
    let txn = db.begin().await?;
    let moved = templates::Entity::update_many()
        .set(rule_columns(rules, now))
        .filter(templates::Column::Id.eq(id))
        .filter(templates::Column::MerchantId.eq(merchant_id))
        .filter(templates::Column::Status.is_in([DRAFT, REJECTED]))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        let row = find_scoped(&txn, scope, id).await?;
        return Err(AppError::new(
            ErrorCode::TemplateStateConflict,
            format!(
                "the template is {}; only drafts and rejected templates can be edited",
                row.status
            ),
        ));
    }
    audit::record(&txn, by, "coupon_template.edit", target(id), now).await?;
    let row = find_scoped(&txn, scope, id).await?;
    txn.commit().await?;
    template_view(row)
}

/// The templates in scope, newest first; only those in `status` when given.
pub async fn list(
    db: &DatabaseConnection,
    scope: Scope,
    status: Option<&str>,
) -> Result<Vec<TemplateView>, AppError> {
    let mut find = templates::Entity::find().order_by_desc(templates::Column::Id);
    if let Scope::Merchant(merchant_id) = scope {
        find = find.filter(templates::Column::MerchantId.eq(merchant_id));
    }
    if let Some(status) = status {
        find = find.filter(templates::Column::Status.eq(status));
    }
    find.all(db).await?.into_iter().map(template_view).collect()
}

pub async fn get(db: &DatabaseConnection, scope: Scope, id: i32) -> Result<TemplateView, AppError> {
    template_view(find_scoped(db, scope, id).await?)
}

/// A status change: from which states, to which, with the rejection reason and the audit action.
struct Move {
    from: &'static [&'static str],
    to: &'static str,
    reject_reason: Option<String>,
    audit: &'static str,
}

async fn transition(
    db: &DatabaseConnection,
    by: &Actor,
    scope: Scope,
    id: i32,
    change: Move,
    now: DateTime<Utc>,
) -> Result<TemplateView, AppError> {
    let Move {
        from,
        to,
        reject_reason,
        audit: audit_action,
    } = change;
    let txn = db.begin().await?;
    let mut update = templates::Entity::update_many()
        .col_expr(templates::Column::Status, Expr::value(to))
        .col_expr(templates::Column::UpdatedAt, Expr::value(now))
        .filter(templates::Column::Id.eq(id))
        .filter(templates::Column::Status.is_in(from.iter().copied()));
    if to == REJECTED || to == PENDING {
        update = update.col_expr(templates::Column::RejectReason, Expr::value(reject_reason));
    }
    let moved = scoped(update, scope).exec(&txn).await?;
    if moved.rows_affected == 0 {
        let row = find_scoped(&txn, scope, id).await?;
        return Err(AppError::new(
            ErrorCode::TemplateStateConflict,
            format!(
                "the template is {}; this action needs it {}",
                row.status,
                from.join(" or ")
            ),
        ));
    }
    audit::record(&txn, by, audit_action, target(id), now).await?;
    let row = find_scoped(&txn, scope, id).await?;
    txn.commit().await?;
    template_view(row)
}

/// Submit, approve, pause, resume or end. Approving is the operators' (their scope); the
/// routes hold who may do what.
pub async fn act(
    db: &DatabaseConnection,
    by: &Actor,
    scope: Scope,
    id: i32,
    action: Action,
    now: DateTime<Utc>,
) -> Result<TemplateView, AppError> {
    let (from, to) = action.edge();
    let change = Move {
        from,
        to,
        reject_reason: None,
        audit: action.audit(),
    };
    transition(db, by, scope, id, change, now).await
}

/// `pending → rejected`, with the reason the merchant sees.
pub async fn reject(
    db: &DatabaseConnection,
    by: &Actor,
    id: i32,
    rejection: &Rejection,
    now: DateTime<Utc>,
) -> Result<TemplateView, AppError> {
    let reason = required_text(
        &rejection.reason,
        200,
        ErrorCode::InvalidRejectReason,
        "reason",
    )?;
    let change = Move {
        from: &[PENDING],
        to: REJECTED,
        reject_reason: Some(reason),
        audit: "coupon_template.reject",
    };
    transition(db, by, Scope::Operator, id, change, now).await
}

/// Adds `change.add` coupons to the stock (or withdraws unclaimed ones): one guarded update,
/// `remaining + add >= 0`, so the stock never goes below what was claimed.
pub async fn change_stock(
    db: &DatabaseConnection,
    by: &Actor,
    id: i32,
    change: &StockChange,
    now: DateTime<Utc>,
) -> Result<TemplateView, AppError> {
    let add = change.add;
    if add == 0 || add.abs() > MAX_STOCK {
        return Err(AppError::new(
            ErrorCode::InvalidStockChange,
            format!("add must be a non-zero number from -{MAX_STOCK} to {MAX_STOCK}"),
        ));
    }
    let txn = db.begin().await?;
    let moved = templates::Entity::update_many()
        .col_expr(
            templates::Column::Remaining,
            Expr::col(templates::Column::Remaining).add(add),
        )
        .col_expr(
            templates::Column::TotalStock,
            Expr::col(templates::Column::TotalStock).add(add),
        )
        .col_expr(templates::Column::UpdatedAt, Expr::value(now))
        .filter(templates::Column::Id.eq(id))
        .filter(templates::Column::Status.ne(ENDED))
        .filter(Expr::expr(Expr::col(templates::Column::Remaining).add(add)).gte(0))
        .filter(Expr::expr(Expr::col(templates::Column::TotalStock).add(add)).lte(MAX_STOCK))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        let row = find_scoped(&txn, Scope::Operator, id).await?;
        return Err(if row.status == ENDED {
            AppError::new(
                ErrorCode::TemplateStateConflict,
                "the template has ended; its stock no longer changes",
            )
        } else if i64::from(row.remaining) + add < 0 {
            AppError::new(
                ErrorCode::StockBelowClaimed,
                format!(
                    "{} claimed of {}: the stock cannot go below what was claimed",
                    row.total_stock - row.remaining,
                    row.total_stock
                ),
            )
        } else {
            AppError::new(
                ErrorCode::InvalidStockChange,
                format!("the stock cannot exceed {MAX_STOCK}"),
            )
        });
    }
    audit::record(&txn, by, "coupon_template.stock", target(id), now).await?;
    let row = find_scoped(&txn, Scope::Operator, id).await?;
    txn.commit().await?;
    template_view(row)
}
