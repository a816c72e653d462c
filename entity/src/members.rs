//! One row per mini-program user (openid of the mini-program), linked by unionid to the
//! official-account follower when WeChat gives one.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub openid: String,
    pub unionid: Option<String>,
    /// The official-account follower with the same unionid, if any.
    pub follower_id: Option<i32>,
    pub nickname: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    /// Without the country code (WeChat's `purePhoneNumber`).
    pub phone_number: Option<String>,
    pub phone_country_code: Option<String>,
    pub phone_verified_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_login_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
