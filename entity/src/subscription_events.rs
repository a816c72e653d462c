//! Append-only ledger of subscribe-message allowances: +1 per `accept` a member gave a template,
//! -1 per message sent on it, 0 for the other answers (kept for the record).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscription_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub member_id: i32,
    pub template_id: String,
    /// `accept`, `reject`, `ban`, `filter` (what wx.requestSubscribeMessage said) or `consume`.
    pub result: String,
    pub delta: i32,
    /// The client's id of the report, so a retried report counts once.
    pub request_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
