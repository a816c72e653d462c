//! WeChat access tokens shared by every instance, with the lease that lets one instance at a
//! time refresh them. One row per appid (official account, mini-program).
use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wechat_access_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub appid: String,
    /// Empty until the first fetch.
    #[sea_orm(column_type = "Text")]
    pub access_token: String,
    pub expires_at: DateTimeUtc,
    /// The instance refreshing the token, until `lease_until`.
    pub lease_holder: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

/// Written by hand so that the token never reaches a log.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("appid", &self.appid)
            .field("access_token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .field("lease_holder", &self.lease_holder)
            .field("lease_until", &self.lease_until)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
