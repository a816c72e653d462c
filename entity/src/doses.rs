//! Doses a baby has been given, as the parents recorded them.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "doses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub baby_id: i32,
    /// A vaccine or product id of the schedule edition (`HepB`, `IPV`, `DTaP-IPV/Hib` ...).
    pub vaccine: String,
    pub dose: i32,
    /// A calendar date in Asia/Shanghai.
    pub given_on: Date,
    pub clinic: Option<String>,
    /// The member who recorded it; None once that member erased their account.
    pub recorded_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
