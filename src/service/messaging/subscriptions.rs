//! Subscribe-message allowances. Each `accept` that `wx.requestSubscribeMessage` returns lets us
//! send one message on that template to that member. The ledger (`subscription_events`) keeps
//! every answer and every send; the balance (`subscription_allowances.remaining`) moves with it
//! through [`ledger::apply`]: a retried report counts once, and two senders can never spend one
//! allowance twice.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{subscription_allowances, subscription_events};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::points::Reason;
use crate::error::{AppError, ErrorCode};
use crate::service::audience::members;
use crate::service::ledger::{self, Entry, Guard};
use crate::service::points::earn;
use crate::service::support::{optional_text, required_text, text_schema};

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
    const ALL: [SubscribeResult; 4] = [
        SubscribeResult::Accept,
        SubscribeResult::Reject,
        SubscribeResult::Ban,
        SubscribeResult::Filter,
    ];

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
    #[schema(schema_with = results_schema)]
    pub results: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    #[schema(schema_with = request_id_schema)]
    pub request_id: Option<String>,
}

const TEMPLATE_ID_CHARS: usize = 64;
const REQUEST_ID_CHARS: usize = 64;
/// The key of `wx.requestSubscribeMessage`'s own status in its success callback.
const ERR_MSG: &str = "errMsg";

/// What [`checked`] takes: 1 to 10 templates with an answer each, and `errMsg` whatever it says.
/// Derived schemas cannot count keys other than `errMsg`, so this one is written out.
fn results_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder, SchemaType, Type};
    let answer = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(SubscribeResult::ALL.map(SubscribeResult::as_str)));
    let report = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            ERR_MSG,
            ObjectBuilder::new()
                .schema_type(SchemaType::AnyValue)
                .description(Some("The callback's own status; ignored, whatever it is.")),
        )
        .additional_properties(Some(answer))
        .property_names(Some(text_schema(
            TEMPLATE_ID_CHARS,
            false,
            "A template id: up to 64 characters, trimmed, no control characters.",
        )));
    // No value is both an empty and a non-empty string: `errMsg` must be absent.
    let absent = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(0));
    let with_err_msg = ObjectBuilder::new()
        .required(ERR_MSG)
        .min_properties(Some(2))
        .max_properties(Some(MAX_TEMPLATES_PER_REPORT + 1));
    let without = ObjectBuilder::new()
        .property(ERR_MSG, absent)
        .min_properties(Some(1))
        .max_properties(Some(MAX_TEMPLATES_PER_REPORT));
    AllOfBuilder::new()
        .item(report)
        .item(AnyOfBuilder::new().item(with_err_msg).item(without))
        .description(Some(
            "Template id → the user's answer, straight from `wx.requestSubscribeMessage`'s \
             success callback: 1 to 10 templates (`no_subscribe_results`, `too_many_templates`), \
             ids up to 64 characters (`invalid_template_id`), answers `accept`, `reject`, `ban` \
             or `filter` (`invalid_subscribe_result`). Its `errMsg` key is ignored.",
        ))
        .into()
}

fn request_id_schema() -> utoipa::openapi::Object {
    text_schema(
        REQUEST_ID_CHARS,
        true,
        "The client's id for this report: up to 64 characters, trimmed, no control characters \
         (`invalid_request_id`). A retried report with the same id counts once.",
    )
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
        if template == ERR_MSG {
            continue;
        }
        let template = required_text(
            template,
            TEMPLATE_ID_CHARS,
            ErrorCode::InvalidTemplateId,
            "template id",
        )?;
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
        REQUEST_ID_CHARS,
        ErrorCode::InvalidRequestId,
        "request_id",
    )?;
    members::find(db, member_id).await?;
    for (template, result) in answers {
        let delta = i32::from(result == SubscribeResult::Accept);
        let event = subscription_events::ActiveModel {
            member_id: Set(member_id),
            template_id: Set(template.clone()),
            result: Set(result.as_str().to_owned()),
            delta: Set(delta),
            request_id: Set(request_id.clone()),
            created_at: Set(now),
            ..Default::default()
        };
        // Every answer is kept; only accepts move the balance.
        let mut entry = Entry::new(event).keyed_by(KEY);
        if delta != 0 {
            entry = entry
                .opening(
                    subscription_allowances::ActiveModel {
                        member_id: Set(member_id),
                        template_id: Set(template.clone()),
                        remaining: Set(0),
                        updated_at: Set(now),
                        ..Default::default()
                    },
                    [
                        subscription_allowances::Column::MemberId,
                        subscription_allowances::Column::TemplateId,
                    ],
                )
                .guard(allowance_guard(member_id, &template, delta, now));
        }
        // A replayed report (same request_id) was counted the first time.
        let outcome = ledger::apply(db, entry).await?;
        if delta != 0 && !outcome.is_replay() {
            // Reminders enabled: points once per template.
            earn::reward(db, member_id, Reason::RemindersEnabled, &template, now).await;
        }
    }
    allowances(db, member_id).await
}

/// The ledger's idempotency key: the client's `request_id`, per member and template.
const KEY: [subscription_events::Column; 3] = [
    subscription_events::Column::MemberId,
    subscription_events::Column::TemplateId,
    subscription_events::Column::RequestId,
];

fn allowance_guard(member_id: i32, template: &str, delta: i32, now: DateTime<Utc>) -> Guard {
    Guard::delta(
        subscription_allowances::Entity::update_many()
            .col_expr(subscription_allowances::Column::UpdatedAt, Expr::value(now))
            .filter(subscription_allowances::Column::MemberId.eq(member_id))
            .filter(subscription_allowances::Column::TemplateId.eq(template)),
        subscription_allowances::Column::Remaining,
        i64::from(delta),
        AppError::new(
            ErrorCode::NoSubscribeAllowance,
            format!("no allowance left for {template}"),
        ),
    )
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
/// cannot spend an allowance the row does not remember; that transaction is what makes a send
/// spend once, so the event carries no key.
pub async fn consume_allowance<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    member_id: i32,
    template_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let event = subscription_events::ActiveModel {
        member_id: Set(member_id),
        template_id: Set(template_id.to_owned()),
        result: Set("consume".to_owned()),
        delta: Set(-1),
        request_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    let entry = Entry::new(event).guard(allowance_guard(member_id, template_id, -1, now));
    match ledger::apply(db, entry).await {
        Ok(_) => Ok(true),
        Err(e) if e.error_code() == ErrorCode::NoSubscribeAllowance => Ok(false),
        Err(e) => Err(e),
    }
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
