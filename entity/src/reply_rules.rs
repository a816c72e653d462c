//! Keyword reply rules, tried in priority order (lowest first).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reply_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// exact | contains (text and menu CLICK keys) | subscribe (welcome) | default (no match)
    pub match_kind: String,
    pub pattern: String,
    pub priority: i32,
    /// JSON of `babyvax::wechat::reply::Reply`.
    #[sea_orm(column_type = "Text")]
    pub reply: String,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
