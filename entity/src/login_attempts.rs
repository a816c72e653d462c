//! One row per login at a staff door, for lockout by account and by client address.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `admin` or `merchant`.
    pub door: String,
    /// The username tried (lowercase), known or not; None when it cannot be a username.
    pub username: Option<String>,
    pub client_addr: String,
    /// `failed` (also while the password is being checked), `succeeded`, `locked` or `disabled`.
    pub outcome: String,
    /// The account, once the password matched.
    pub account_id: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
