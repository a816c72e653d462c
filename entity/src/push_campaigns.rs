//! An operator campaign: a piece of content or an announcement sent to a segment.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    /// `content` or `announcement`.
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub page: Option<String>,
    /// The segment, as JSON.
    #[sea_orm(column_type = "Text")]
    pub segment: String,
    pub created_by: Option<String>,
    /// `queued` once its messages are in the outbox.
    pub status: String,
    pub recipients: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
