//! Stage articles shown in a baby's feed while the baby's age (in days) is in their window.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "articles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    pub summary: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// Shown from this age in days (inclusive) ...
    pub min_age_days: i32,
    /// ... until this age (exclusive); None: no upper bound.
    pub max_age_days: Option<i32>,
    /// A JSON array of strings. `vaccine:<ID>` ties the article to that vaccine's doses and
    /// `vaccination` to every dose.
    #[sea_orm(column_type = "Text")]
    pub tags: String,
    pub author_name: String,
    pub author_title: Option<String>,
    pub author_verified_expert: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub sources: Option<String>,
    pub published: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
