//! The audit log: which staff member did what to what, when, from where and in which request.
//! Written through the connection of the write it records (its transaction), so a write and its
//! row are committed together or not at all. The table is append-only (the database refuses
//! UPDATE and DELETE on it).

use chrono::{DateTime, Utc};
use entity::audit_log;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use super::AccountKind;
use crate::error::AppError;

/// Where a request came from: its `x-request-id` and the client address (see
/// `crate::auth::origin` for how the address is determined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub request_id: Option<String>,
    pub client_addr: String,
}

/// A staff member acting at their door.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: AccountKind,
    pub id: i32,
    /// Their role when they acted.
    pub role: &'static str,
    pub origin: Origin,
}

/// What an action was done to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: &'static str,
    pub id: String,
}

impl Target {
    pub fn operator(id: i32) -> Self {
        Target {
            kind: "operator",
            id: id.to_string(),
        }
    }

    pub fn merchant_staff(id: i32) -> Self {
        Target {
            kind: "merchant_staff",
            id: id.to_string(),
        }
    }

    pub fn pay_order(id: i32) -> Self {
        Target {
            kind: "pay_order",
            id: id.to_string(),
        }
    }

    pub fn member(id: i32) -> Self {
        Target {
            kind: "member",
            id: id.to_string(),
        }
    }

    /// The account itself, for what a staff member does to their own account (logging in).
    pub fn account(kind: AccountKind, id: i32) -> Self {
        match kind {
            AccountKind::Operator => Self::operator(id),
            AccountKind::MerchantStaff => Self::merchant_staff(id),
        }
    }
}

/// Actions, as the log names them.
pub mod action {
    pub const LOGIN: &str = "auth.login";
    pub const OPERATOR_CREATE: &str = "operator.create";
    pub const OPERATOR_DISABLE: &str = "operator.disable";
    pub const OPERATOR_ENABLE: &str = "operator.enable";
    pub const MERCHANT_STAFF_CREATE: &str = "merchant_staff.create";
    /// A read of a member's data (children's health data): logged like a write.
    pub const MEMBER_READ: &str = "member.read";
    pub const POINTS_ADJUST: &str = "member.points_adjust";
    /// A read of a member's points ledger.
    pub const POINTS_LEDGER_READ: &str = "member.points_ledger_read";
    pub const POINTS_RULES_PUT: &str = "points.rules_put";
    pub const POINTS_LEVELS_PUT: &str = "points.levels_put";
    pub const POINTS_CAMPAIGN_CREATE: &str = "points.campaign_create";
    pub const POINTS_CAMPAIGN_END: &str = "points.campaign_end";
    /// An operator's refund of a WeChat Pay order.
    pub const PAY_REFUND: &str = "pay_order.refund";
}

/// Appends one row. `conn` is the transaction of the write being recorded, where there is one.
pub async fn record(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    target: Option<Target>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (target_type, target_id) = match target {
        Some(target) => (Some(target.kind.to_owned()), Some(target.id)),
        None => (None, None),
    };
    audit_log::ActiveModel {
        actor_kind: Set(actor.kind.as_str().to_owned()),
        actor_id: Set(actor.id),
        actor_role: Set(actor.role.to_owned()),
        action: Set(action.to_owned()),
        target_type: Set(target_type),
        target_id: Set(target_id),
        // The request id is ours (a UUID); the bound only guards the column.
        request_id: Set(actor
            .origin
            .request_id
            .as_ref()
            .map(|id| id.chars().take(64).collect())),
        client_addr: Set(Some(actor.origin.client_addr.clone())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}
