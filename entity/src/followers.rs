//! One row per openid that ever followed the official account.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "followers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub openid: String,
    pub unionid: Option<String>,
    pub subscribed: bool,
    /// Channel code of the first follow that came through a channel QR code.
    pub first_channel: Option<String>,
    /// Channel code of the latest follow or scan through a channel QR code.
    pub last_channel: Option<String>,
    pub first_subscribed_at: Option<DateTimeUtc>,
    pub last_subscribed_at: Option<DateTimeUtc>,
    pub last_unsubscribed_at: Option<DateTimeUtc>,
    pub subscribe_count: i32,
    /// When WeChat's profile (for the unionid) was last fetched; None: fetch it.
    pub profile_checked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::follower_events::Entity")]
    FollowerEvents,
}

impl Related<super::follower_events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FollowerEvents.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
