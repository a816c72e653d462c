//! One row per distinct callback delivery; the unique dedup key makes redeliveries count once and
//! lets them receive the reply the first delivery got.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbound_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub dedup_key: String,
    pub openid: String,
    pub msg_type: String,
    pub event: Option<String>,
    pub create_time: i64,
    /// Short description for operators (text content, event key); raw XML for unknown types.
    pub summary: String,
    /// The plaintext passive reply, resent as is (re-encrypted) on redelivery.
    pub reply_xml: Option<String>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
