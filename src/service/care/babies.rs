//! Babies: create, read, update, delete, and the deletion of everything recorded about them.

use chrono::{DateTime, Months, NaiveDate, Utc};
use entity::{babies, baby_caregivers, baby_invites, baby_opt_ins, doses};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::access::{self, Access, CaregiverRole};
use super::opt_ins::opt_ins_of;
use super::schedule::{self, History};
use crate::domain::points::Reason;
use crate::domain::schedule::Sex;
use crate::error::{AppError, ErrorCode};
use crate::service::audience::consent::require_consent;
use crate::service::points::earn;
use crate::service::support::{required_text, text_schema};

/// Babies one member may own: far above any family, low enough to stop a runaway client.
pub const MAX_OWNED_BABIES: u64 = 20;
/// The schedule covers children up to 18 (the programme's catch-up age).
const MAX_AGE_YEARS: u32 = 18;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BabySex {
    Female,
    Male,
}

impl BabySex {
    fn as_str(self) -> &'static str {
        match self {
            BabySex::Female => "female",
            BabySex::Male => "male",
        }
    }

    fn parse(stored: Option<&str>) -> Option<BabySex> {
        match stored {
            Some("female") => Some(BabySex::Female),
            Some("male") => Some(BabySex::Male),
            _ => None,
        }
    }

    pub fn of(baby: &babies::Model) -> Option<Sex> {
        BabySex::parse(baby.sex.as_deref()).map(|s| match s {
            BabySex::Female => Sex::Female,
            BabySex::Male => Sex::Male,
        })
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BabyInput {
    #[schema(schema_with = name_schema)]
    pub name: String,
    /// Calendar date in Asia/Shanghai; not after today (`birth_date_in_future`), under 18 years
    /// ago (`birth_date_too_old`).
    pub birth_date: NaiveDate,
    /// Omit or null when not given: vaccines for one sex then stay in the schedule.
    #[serde(default)]
    pub sex: Option<BabySex>,
    /// Weeks born before the 40-week term, 1 to 20; omit or null for a term birth. Vaccines
    /// follow the chronological age (national programme rule); stage content uses the corrected
    /// age until 24 months.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 20)]
    pub preterm_weeks: Option<i32>,
}

const NAME_CHARS: usize = 32;

fn name_schema() -> utoipa::openapi::Object {
    text_schema(
        NAME_CHARS,
        false,
        "1 to 32 characters (a nickname is fine), trimmed, no control characters \
         (`invalid_baby_name`).",
    )
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BabyView {
    pub id: i32,
    pub name: String,
    pub birth_date: NaiveDate,
    pub sex: Option<BabySex>,
    pub preterm_weeks: Option<i32>,
    /// Your role for this baby.
    pub role: CaregiverRole,
    /// Self-paid vaccines opted into (vaccine or product ids of the schedule edition).
    pub opt_ins: Vec<String>,
    /// The next date on which a dose changes status (becomes due, overdue or too late).
    pub next_event_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

struct Details {
    name: String,
    birth_date: NaiveDate,
    sex: Option<BabySex>,
    preterm_weeks: Option<i32>,
}

fn checked(input: &BabyInput, today: NaiveDate) -> Result<Details, AppError> {
    let name = required_text(&input.name, NAME_CHARS, ErrorCode::InvalidBabyName, "name")?;
    if input.birth_date > today {
        return Err(AppError::new(
            ErrorCode::BirthDateInFuture,
            format!("birth_date {} is after today ({today})", input.birth_date),
        ));
    }
    let oldest = today
        .checked_sub_months(Months::new(12 * MAX_AGE_YEARS))
        .unwrap_or(NaiveDate::MIN);
    if input.birth_date <= oldest {
        return Err(AppError::new(
            ErrorCode::BirthDateTooOld,
            format!("the schedule covers children under {MAX_AGE_YEARS}"),
        ));
    }
    if let Some(weeks) = input.preterm_weeks
        && !(1..=20).contains(&weeks)
    {
        return Err(AppError::new(
            ErrorCode::InvalidPretermWeeks,
            "preterm_weeks is the number of weeks born before term, 1 to 20 (omit it for a term birth)",
        ));
    }
    Ok(Details {
        name,
        birth_date: input.birth_date,
        sex: input.sex,
        preterm_weeks: input.preterm_weeks,
    })
}

fn view(baby: babies::Model, role: CaregiverRole, opt_ins: Vec<String>) -> BabyView {
    BabyView {
        id: baby.id,
        sex: BabySex::parse(baby.sex.as_deref()),
        name: baby.name,
        birth_date: baby.birth_date,
        preterm_weeks: baby.preterm_weeks,
        role,
        opt_ins,
        next_event_date: baby.next_event_date,
        created_at: baby.created_at,
        updated_at: baby.updated_at,
    }
}

async fn view_of<C: ConnectionTrait>(db: &C, access: Access) -> Result<BabyView, AppError> {
    let opt_ins = opt_ins_of(db, access.baby.id).await?;
    Ok(view(access.baby, access.role, opt_ins))
}

pub async fn create(
    db: &DatabaseConnection,
    member_id: i32,
    input: &BabyInput,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<BabyView, AppError> {
    let details = checked(input, today)?;
    require_consent(db, member_id).await?;
    let owned = babies::Entity::find()
        .filter(babies::Column::OwnerMemberId.eq(member_id))
        .count(db)
        .await?;
    if owned >= MAX_OWNED_BABIES {
        return Err(AppError::new(
            ErrorCode::TooManyBabies,
            format!("a member may own at most {MAX_OWNED_BABIES} babies"),
        ));
    }
    let txn = db.begin().await?;
    let baby = babies::ActiveModel {
        owner_member_id: Set(member_id),
        name: Set(details.name),
        birth_date: Set(details.birth_date),
        sex: Set(details.sex.map(|s| s.as_str().to_owned())),
        preterm_weeks: Set(details.preterm_weeks),
        next_event_date: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    baby_caregivers::ActiveModel {
        baby_id: Set(baby.id),
        member_id: Set(member_id),
        role: Set(CaregiverRole::Owner.as_str().to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let schedule = schedule::compute_stored(&baby, &History::default(), today)?;
    let baby = schedule::store_next_event_date(&txn, baby, &schedule, now).await?;
    reward_complete_profile(&txn, member_id, &baby, now).await;
    txn.commit().await?;
    Ok(view(baby, CaregiverRole::Owner, Vec::new()))
}

/// A profile is complete once the sex is given too (name and birth date always are): points
/// for the member who completed it, once per baby.
async fn reward_complete_profile<C: ConnectionTrait + TransactionTrait>(
    txn: &C,
    member_id: i32,
    baby: &babies::Model,
    now: DateTime<Utc>,
) {
    if baby.sex.is_some() {
        let reference = baby.id.to_string();
        earn::reward(
            txn,
            member_id,
            Reason::BabyProfileCompleted,
            &reference,
            now,
        )
        .await;
    }
}

/// Every baby shared with the member, oldest first.
pub async fn list<C: ConnectionTrait>(db: &C, member_id: i32) -> Result<Vec<BabyView>, AppError> {
    let links = baby_caregivers::Entity::find()
        .filter(baby_caregivers::Column::MemberId.eq(member_id))
        .all(db)
        .await?;
    let ids: Vec<i32> = links.iter().map(|l| l.baby_id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let babies = babies::Entity::find()
        .filter(babies::Column::Id.is_in(ids.clone()))
        .order_by_asc(babies::Column::BirthDate)
        .order_by_asc(babies::Column::Id)
        .all(db)
        .await?;
    let opt_ins = baby_opt_ins::Entity::find()
        .filter(baby_opt_ins::Column::BabyId.is_in(ids))
        .order_by_asc(baby_opt_ins::Column::Vaccine)
        .all(db)
        .await?;
    Ok(babies
        .into_iter()
        .map(|baby| {
            let role = links
                .iter()
                .find(|l| l.baby_id == baby.id)
                .map_or(CaregiverRole::Caregiver, |l| CaregiverRole::parse(&l.role));
            let mine = opt_ins
                .iter()
                .filter(|o| o.baby_id == baby.id)
                .map(|o| o.vaccine.clone())
                .collect();
            view(baby, role, mine)
        })
        .collect())
}

pub async fn get<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
) -> Result<BabyView, AppError> {
    let access = access::access(db, member_id, baby_id).await?;
    view_of(db, access).await
}

/// Replaces the baby's details. A new birth date must still come before every recorded dose;
/// the next event date follows the change.
pub async fn update(
    db: &DatabaseConnection,
    member_id: i32,
    baby_id: i32,
    input: &BabyInput,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<BabyView, AppError> {
    let details = checked(input, today)?;
    let txn = db.begin().await?;
    let Access { baby, role } = access::lock_for_write(&txn, member_id, baby_id, now).await?;
    let mut changed = baby.clone();
    changed.name = details.name;
    changed.birth_date = details.birth_date;
    changed.sex = details.sex.map(|s| s.as_str().to_owned());
    changed.preterm_weeks = details.preterm_weeks;
    let history = schedule::load_history(&txn, baby_id).await?;
    let schedule = schedule::compute_input(&changed, &history, today)?;
    let mut active: babies::ActiveModel = baby.into();
    active.name = Set(changed.name);
    active.birth_date = Set(changed.birth_date);
    active.sex = Set(changed.sex);
    active.preterm_weeks = Set(changed.preterm_weeks);
    active.updated_at = Set(now);
    let baby = active.update(&txn).await?;
    let baby = schedule::store_next_event_date(&txn, baby, &schedule, now).await?;
    reward_complete_profile(&txn, member_id, &baby, now).await;
    txn.commit().await?;
    Ok(view(baby, role, history.opt_ins))
}

/// Deletes the baby and everything recorded about it. Owner only.
pub async fn delete(
    db: &DatabaseConnection,
    member_id: i32,
    baby_id: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let txn = db.begin().await?;
    access::lock_for_write(&txn, member_id, baby_id, now)
        .await?
        .require_owner()?;
    delete_records(&txn, &[baby_id]).await?;
    txn.commit().await?;
    Ok(())
}

/// How many rows deleting some babies removed, table by table.
#[derive(Debug, Default, Clone, Copy)]
pub struct DeletedRecords {
    pub babies: u64,
    pub doses: u64,
    pub opt_ins: u64,
    pub caregiver_links: u64,
    pub invites: u64,
}

/// Deletes babies with their doses, opt-ins, invites and caregiver links (dependents first, so
/// the counts are exact whatever the foreign keys cascade).
pub async fn delete_records<C: ConnectionTrait>(
    db: &C,
    baby_ids: &[i32],
) -> Result<DeletedRecords, AppError> {
    if baby_ids.is_empty() {
        return Ok(DeletedRecords::default());
    }
    let ids = baby_ids.to_vec();
    let doses = doses::Entity::delete_many()
        .filter(doses::Column::BabyId.is_in(ids.clone()))
        .exec(db)
        .await?
        .rows_affected;
    let opt_ins = baby_opt_ins::Entity::delete_many()
        .filter(baby_opt_ins::Column::BabyId.is_in(ids.clone()))
        .exec(db)
        .await?
        .rows_affected;
    let invites = baby_invites::Entity::delete_many()
        .filter(baby_invites::Column::BabyId.is_in(ids.clone()))
        .exec(db)
        .await?
        .rows_affected;
    let caregiver_links = baby_caregivers::Entity::delete_many()
        .filter(baby_caregivers::Column::BabyId.is_in(ids.clone()))
        .exec(db)
        .await?
        .rows_affected;
    let babies = babies::Entity::delete_many()
        .filter(babies::Column::Id.is_in(ids))
        .exec(db)
        .await?
        .rows_affected;
    Ok(DeletedRecords {
        babies,
        doses,
        opt_ins,
        caregiver_links,
        invites,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, birth: &str, preterm: Option<i32>) -> BabyInput {
        BabyInput {
            name: name.into(),
            birth_date: birth.parse().unwrap(),
            sex: None,
            preterm_weeks: preterm,
        }
    }

    #[test]
    fn baby_details_are_checked() {
        let today: NaiveDate = "2026-03-01".parse().unwrap();
        let code = |i: BabyInput| checked(&i, today).err().map(|e| e.code());
        assert_eq!(code(input("小米", "2026-03-01", None)), None);
        assert_eq!(
            code(input("小米", "2026-03-02", None)),
            Some("birth_date_in_future")
        );
        assert_eq!(
            code(input("小米", "2008-03-01", None)),
            Some("birth_date_too_old")
        );
        assert_eq!(code(input("小米", "2008-03-02", None)), None);
        assert_eq!(
            code(input(" ", "2026-01-01", None)),
            Some("invalid_baby_name")
        );
        assert_eq!(
            code(input("a", "2026-01-01", Some(0))),
            Some("invalid_preterm_weeks")
        );
        assert_eq!(
            code(input("a", "2026-01-01", Some(21))),
            Some("invalid_preterm_weeks")
        );
        assert_eq!(code(input("a", "2026-01-01", Some(8))), None);
    }
}
