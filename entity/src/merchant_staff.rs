//! An account of a merchant's staff, for the `/merchant/v1` door.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "merchant_staff")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Lowercase; unique among merchant staff.
    #[sea_orm(unique)]
    pub username: String,
    /// argon2id, PHC string format.
    pub password_hash: String,
    pub merchant_id: i32,
    /// The store they work at; None for staff of the whole merchant.
    pub store_id: Option<i32>,
    /// `owner` or `clerk`.
    pub role: String,
    /// A disabled account cannot log in, and its tokens are refused.
    pub disabled: bool,
    pub created_at: DateTimeUtc,
    pub last_login_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
