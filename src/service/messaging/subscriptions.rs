//! Subscribe-message allowances. Each `accept` that `wx.requestSubscribeMessage` returns lets us
//! send one message on that template to that member. The ledger (`subscription_events`) keeps
//! every answer and every send; the balance (`subscription_allowances.remaining`) moves in the
//! same transaction, and a send only takes an allowance with a guarded update
//! (`... WHERE remaining > 0`), so two senders can never spend one allowance twice.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{subscription_allowances, subscription_events};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, ErrorCode};
use crate::service::audience::members;
use crate::service::support::{is_unique_violation, optional_text, required_text};

/// `wx.requestSubscribeMessage` asks for at most 3 templates at a time; leave room for a batch.
const MAX_TEMPLATES_PER_REPORT: usize = 10;

/// One template's answer, as `wx.requestSubscribeMessage` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubscribeResult {
    /// The user allowed one message on this template.
    Accept,
    Reject,
    /// The template was banned by WeChat.
    Ban,
    /// The template was filtered out (e.g. its title matches another one's).
    Filter,
}

impl SubscribeResult {
    fn as_str(self) -> &'static str {
        match self {
            SubscribeResult::Accept => "accept",
            SubscribeResult::Reject => "reject",
            SubscribeResult::Ban => "ban",
            SubscribeResult::Filter => "filter",
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ConsentReport {
    /// Template id → the user's answer, straight from `wx.requestSubscribeMessage`'s success
    /// callback (its `errMsg` key is ignored).
    #[schema(value_type = BTreeMap<String, SubscribeResult>)]
    pub results: BTreeMap<String, serde_json::Value>,
    /// The client's id for this report (up to 64 characters). A retried report with the same
    /// id counts once.
    #[serde(default)]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Allowance {
    pub template_id: String,
    /// Messages we may still send on this template.
    pub remaining: i32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Allowances {
    pub allowances: Vec<Allowance>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerEntry {
    pub template_id: String,
    /// `accept`, `reject`, `ban`, `filter` or `consume` (a message sent).
    pub result: String,
    pub delta: i32,
    pub created_at: DateTime<Utc>,
}

fn checked(report: &ConsentReport) -> Result<Vec<(String, SubscribeResult)>, AppError> {
    let mut out = Vec::new();
    for (template, answer) in &report.results {
        // The success callback also carries `errMsg: "requestSubscribeMessage:ok"`.
        if template == "errMsg" {
            continue;
        }
        let template = required_text(template, 64, ErrorCode::InvalidTemplateId, "template id")?;
        let result: SubscribeResult = serde_json::from_value(answer.clone()).map_err(|_| {
            AppError::new(
                ErrorCode::InvalidSubscribeResult,
                format!("{template}: expected accept, reject, ban or filter, got {answer}"),
            )
        })?;
        out.push((template, result));
    }
    if out.is_empty() {
        return Err(AppError::new(
            ErrorCode::NoSubscribeResults,
            "results must name at least one template",
        ));
    }
    if out.len() > MAX_TEMPLATES_PER_REPORT {
        return Err(AppError::new(
            ErrorCode::TooManyTemplates,
            format!("at most {MAX_TEMPLATES_PER_REPORT} templates per report"),
        ));
    }
    Ok(out)
}

/// Records what `wx.requestSubscribeMessage` returned: every answer in the ledger, and one more
/// allowance per accept.
pub async fn record(
    db: &DatabaseConnection,
    member_id: i32,
    report: &ConsentReport,
    now: DateTime<Utc>,
) -> Result<Allowances, AppError> {
    let answers = checked(report)?;
    let request_id = optional_text(
        report.request_id.as_deref(),
        64,
        ErrorCode::InvalidRequestId,
        "request_id",
    )?;
    members::find(db, member_id).await?;
    for (template, result) in answers {
        let delta = i32::from(result == SubscribeResult::Accept);
        let txn = db.begin().await?;
        let entry = subscription_events::ActiveModel {
            member_id: Set(member_id),
            template_id: Set(template.clone()),
            result: Set(result.as_str().to_owned()),
            delta: Set(delta),
            request_id: Set(request_id.clone()),
            created_at: Set(now),
            ..Default::default()
        };
        match entry.insert(&txn).await {
            Ok(_) => {}
            // The same report again: it was counted the first time.
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
        if delta != 0 {
            credit(&txn, member_id, &template, delta, now).await?;
        }
        txn.commit().await?;
    }
    allowances(db, member_id).await
}

async fn credit<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    template: &str,
    delta: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    subscription_allowances::Entity::insert(subscription_allowances::ActiveModel {
        member_id: Set(member_id),
        template_id: Set(template.to_owned()),
        remaining: Set(0),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            subscription_allowances::Column::MemberId,
            subscription_allowances::Column::TemplateId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    subscription_allowances::Entity::update_many()
        .col_expr(
            subscription_allowances::Column::Remaining,
            Expr::col(subscription_allowances::Column::Remaining).add(delta),
        )
        .col_expr(subscription_allowances::Column::UpdatedAt, Expr::value(now))
        .filter(subscription_allowances::Column::MemberId.eq(member_id))
        .filter(subscription_allowances::Column::TemplateId.eq(template))
        .exec(db)
        .await?;
    Ok(())
}

/// Allowances left per template, templates in name order.
pub async fn allowances<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
) -> Result<Allowances, AppError> {
    members::find(db, member_id).await?;
    let rows = subscription_allowances::Entity::find()
        .filter(subscription_allowances::Column::MemberId.eq(member_id))
        .order_by_asc(subscription_allowances::Column::TemplateId)
        .all(db)
        .await?;
    Ok(Allowances {
        allowances: rows
            .into_iter()
            .map(|r| Allowance {
                template_id: r.template_id,
                remaining: r.remaining,
            })
            .collect(),
    })
}

/// Takes one allowance to send a message on `template_id` to the member. False when none is
/// left. The push engine calls it inside the transaction that marks its outbox row, so a crash
/// cannot spend an allowance the row does not remember.
pub async fn consume_allowance<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    member_id: i32,
    template_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let txn = db.begin().await?;
    let taken = subscription_allowances::Entity::update_many()
        .col_expr(
            subscription_allowances::Column::Remaining,
            Expr::col(subscription_allowances::Column::Remaining).sub(1),
        )
        .col_expr(subscription_allowances::Column::UpdatedAt, Expr::value(now))
        .filter(subscription_allowances::Column::MemberId.eq(member_id))
        .filter(subscription_allowances::Column::TemplateId.eq(template_id))
        .filter(subscription_allowances::Column::Remaining.gt(0))
        .exec(&txn)
        .await?;
    if taken.rows_affected == 0 {
        return Ok(false);
    }
    subscription_events::ActiveModel {
        member_id: Set(member_id),
        template_id: Set(template_id.to_owned()),
        result: Set("consume".to_owned()),
        delta: Set(-1),
        request_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// The member's ledger, oldest first; for the export.
pub async fn ledger<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
) -> Result<Vec<LedgerEntry>, AppError> {
    Ok(subscription_events::Entity::find()
        .filter(subscription_events::Column::MemberId.eq(member_id))
        .order_by_asc(subscription_events::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| LedgerEntry {
            template_id: e.template_id,
            result: e.result,
            delta: e.delta,
            created_at: e.created_at,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(results: serde_json::Value) -> ConsentReport {
        serde_json::from_value(json!({ "results": results })).unwrap()
    }

    #[test]
    fn reports_are_checked() {
        let ok = checked(&report(json!({
            "errMsg": "requestSubscribeMessage:ok", "t1": "accept", "t2": "reject", "t3": "ban"
        })))
        .unwrap();
        assert_eq!(ok.len(), 3);
        let code = |v| checked(&report(v)).unwrap_err().code();
        assert_eq!(code(json!({})), "no_subscribe_results");
        assert_eq!(code(json!({"errMsg": "x"})), "no_subscribe_results");
        assert_eq!(code(json!({"t1": "maybe"})), "invalid_subscribe_result");
        assert_eq!(code(json!({"t1": 1})), "invalid_subscribe_result");
        assert_eq!(code(json!({" ": "accept"})), "invalid_template_id");
    }
}
