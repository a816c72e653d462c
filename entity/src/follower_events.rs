//! Append-only follow history: every follow, unfollow and channel scan, for churn analysis.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "follower_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub follower_id: i32,
    /// subscribe | unsubscribe | scan
    pub kind: String,
    pub channel: Option<String>,
    /// When WeChat says it happened (the message's CreateTime).
    pub occurred_at: DateTimeUtc,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::followers::Entity",
        from = "Column::FollowerId",
        to = "super::followers::Column::Id",
        on_delete = "Cascade"
    )]
    Follower,
}

impl Related<super::followers::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Follower.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
