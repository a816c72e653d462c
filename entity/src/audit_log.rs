//! What staff did: one row per write by an operator or merchant staff member, and per read of a
//! member's data. Append-only (the database refuses UPDATE and DELETE).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `operator` or `merchant_staff`.
    pub actor_kind: String,
    pub actor_id: i32,
    /// The actor's role when they acted.
    pub actor_role: String,
    /// What they did, e.g. `operator.create`, `member.read`.
    pub action: String,
    /// What it was done to, e.g. `operator` / `12`.
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// The request's `x-request-id`.
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
