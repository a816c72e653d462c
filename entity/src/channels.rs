//! Where followers come from: a clinic, a maternity hospital, a poster, a referral code.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// clinic | hospital | poster | referral | other
    pub kind: String,
    pub created_at: DateTimeUtc,
    /// Ticket of the permanent QR code with scene `ch:<code>`.
    pub qr_ticket: Option<String>,
    /// The URL the QR image encodes.
    pub qr_url: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
