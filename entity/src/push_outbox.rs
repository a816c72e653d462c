//! One row per outbound message (reminders, stage content, campaigns), unique by dedup key.
//! Status (`babyvax::domain::push::OutboxStatus`): `pending` → `sent` (→ delivery status from
//! TEMPLATESENDJOBFINISH), or `failed` (permanent error, with its reason), `undeliverable` (no
//! channel), `suppressed` (the recipient's preferences), `cancelled` (the doses it names were
//! recorded, or the recipient stopped caring for the baby, before it went out).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub dedup_key: String,
    /// `due_soon`, `due_today`, `overdue_7`, `overdue_30`, `catch_up`, `follow_up`, `stage`,
    /// `campaign`.
    pub kind: String,
    pub baby_id: Option<i32>,
    pub member_id: Option<i32>,
    pub follower_id: Option<i32>,
    pub campaign_id: Option<i32>,
    /// The dose, when the message names exactly one.
    pub vaccine: Option<String>,
    pub dose: Option<i32>,
    /// Every dose a reminder names, `HepB:2,Polio:1`.
    #[sea_orm(column_type = "Text", nullable)]
    pub doses: Option<String>,
    pub stage_id: Option<String>,
    /// The date the message is about (earliest date, complete-by date, planning day of a
    /// catch-up or follow-up, stage start).
    pub event_date: Option<Date>,
    /// The planning day (Asia/Shanghai) that produced the row.
    pub planned_for: Date,
    /// Our fields (baby name, vaccine, dose, date, clinic, page ...) as a JSON object.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub status: String,
    /// `template` (official account), `subscribe` (mini-program) or `none`.
    pub channel: Option<String>,
    pub template_id: Option<String>,
    pub openid: Option<String>,
    /// A subscribe allowance was spent on this row (so a retry does not spend another).
    pub allowance_taken: bool,
    pub attempts: i32,
    pub not_before: DateTimeUtc,
    /// A sender's lease; a crashed sender's rows are claimable again after it.
    pub claimed_until: Option<DateTimeUtc>,
    pub claimed_by: Option<String>,
    pub error_code: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub wechat_msgid: Option<i64>,
    /// TEMPLATESENDJOBFINISH's Status: `success`, `failed:user block`, `failed: system failed`.
    pub delivery_status: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
