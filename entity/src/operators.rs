//! An account of the operations team, for the `/admin/v1` door.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Lowercase; unique among operators.
    #[sea_orm(unique)]
    pub username: String,
    /// argon2id, PHC string format.
    pub password_hash: String,
    /// `admin`, `operator`, `support` or `analyst`.
    pub role: String,
    /// A disabled account cannot log in, and its tokens are refused.
    pub disabled: bool,
    pub created_at: DateTimeUtc,
    pub last_login_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
