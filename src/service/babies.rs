//! Babies and the families that share them: create, read, update, delete; invites (single use,
//! expiring) by which the owner shares a baby; caregivers and their revocation.
//!
//! Visibility: a member sees a baby only through a `baby_caregivers` row (the owner has one too).
//! Any other baby id answers 404 `baby_not_found`, the same as a baby that does not exist, so ids
//! leak nothing. Owner-only actions by a caregiver (who can see the baby) answer 403 `owner_only`.

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use entity::{babies, baby_caregivers, baby_invites, baby_opt_ins, doses, members};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::members::require_consent;
use super::support::{is_unique_violation, required_text};
use super::vaccinations::{self, History};
use crate::domain::schedule::Sex;
use crate::error::AppError;

/// How long an invite code can be accepted.
pub const INVITE_TTL: Duration = Duration::hours(72);
/// Babies one member may own: far above any family, low enough to stop a runaway client.
pub const MAX_OWNED_BABIES: u64 = 20;
/// The schedule covers children up to 18 (the programme's catch-up age).
const MAX_AGE_YEARS: u32 = 18;
/// Letters and digits that cannot be mistaken for one another when read aloud or typed.
const INVITE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const INVITE_CODE_LEN: usize = 10;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaregiverRole {
    /// Created the baby: may invite, revoke caregivers and delete the baby.
    Owner,
    /// Accepted an invite: may read and record doses, opt-ins and details.
    Caregiver,
}

impl CaregiverRole {
    fn as_str(self) -> &'static str {
        match self {
            CaregiverRole::Owner => "owner",
            CaregiverRole::Caregiver => "caregiver",
        }
    }

    fn parse(stored: &str) -> CaregiverRole {
        if stored == "owner" {
            CaregiverRole::Owner
        } else {
            CaregiverRole::Caregiver
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BabyInput {
    /// 1 to 32 characters (a nickname is fine).
    pub name: String,
    /// Calendar date in Asia/Shanghai; not in the future, at most 18 years ago.
    pub birth_date: NaiveDate,
    /// Omit or null when not given: vaccines for one sex then stay in the schedule.
    #[serde(default)]
    pub sex: Option<BabySex>,
    /// Weeks born before the 40-week term, 1 to 20; omit or null for a term birth. Vaccines
    /// follow the chronological age (national programme rule); stage content uses the corrected
    /// age until 24 months.
    #[serde(default)]
    pub preterm_weeks: Option<i32>,
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InviteView {
    pub baby_id: i32,
    /// 10 characters; give it to the caregiver, who sends it to `POST /api/v1/invites/accept`.
    pub code: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_by: Option<i32>,
    pub accepted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaregiverView {
    pub member_id: i32,
    pub nickname: Option<String>,
    pub role: CaregiverRole,
    pub since: DateTime<Utc>,
}

/// A baby the member may see, and in which role.
#[derive(Debug, Clone)]
pub struct Access {
    pub baby: babies::Model,
    pub role: CaregiverRole,
}

impl Access {
    fn require_owner(&self) -> Result<(), AppError> {
        match self.role {
            CaregiverRole::Owner => Ok(()),
            CaregiverRole::Caregiver => Err(AppError::forbidden(
                "owner_only",
                "only the baby's owner may do this",
            )),
        }
    }
}

fn baby_not_found() -> AppError {
    AppError::not_found("baby_not_found", "no such baby among those shared with you")
}

/// The baby `baby_id` if the member may see it; 404 `baby_not_found` otherwise.
pub async fn access<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
) -> Result<Access, AppError> {
    let link = baby_caregivers::Entity::find()
        .filter(baby_caregivers::Column::BabyId.eq(baby_id))
        .filter(baby_caregivers::Column::MemberId.eq(member_id))
        .one(db)
        .await?
        .ok_or_else(baby_not_found)?;
    let baby = babies::Entity::find_by_id(baby_id)
        .one(db)
        .await?
        .ok_or_else(baby_not_found)?;
    Ok(Access {
        baby,
        role: CaregiverRole::parse(&link.role),
    })
}

/// First statement of every transaction that changes a baby's records: it takes the write lock
/// (SQLite) or the row lock (PostgreSQL), so concurrent changes to one baby's history are
/// validated one after the other, and a SQLite transaction never has to upgrade a read.
/// Answers the baby as it is under the lock.
pub async fn lock_for_update<C: ConnectionTrait>(
    db: &C,
    baby_id: i32,
    now: DateTime<Utc>,
) -> Result<babies::Model, AppError> {
    let touched = babies::Entity::update_many()
        .col_expr(babies::Column::UpdatedAt, Expr::value(now))
        .filter(babies::Column::Id.eq(baby_id))
        .exec(db)
        .await?;
    if touched.rows_affected == 0 {
        return Err(baby_not_found());
    }
    babies::Entity::find_by_id(baby_id)
        .one(db)
        .await?
        .ok_or_else(baby_not_found)
}

struct Details {
    name: String,
    birth_date: NaiveDate,
    sex: Option<BabySex>,
    preterm_weeks: Option<i32>,
}

fn checked(input: &BabyInput, today: NaiveDate) -> Result<Details, AppError> {
    let name = required_text(&input.name, 32, "invalid_baby_name", "name")?;
    if input.birth_date > today {
        return Err(AppError::bad_request(
            "birth_date_in_future",
            format!("birth_date {} is after today ({today})", input.birth_date),
        ));
    }
    let oldest = today
        .checked_sub_months(Months::new(12 * MAX_AGE_YEARS))
        .unwrap_or(NaiveDate::MIN);
    if input.birth_date <= oldest {
        return Err(AppError::bad_request(
            "birth_date_too_old",
            format!("the schedule covers children under {MAX_AGE_YEARS}"),
        ));
    }
    if let Some(weeks) = input.preterm_weeks
        && !(1..=20).contains(&weeks)
    {
        return Err(AppError::bad_request(
            "invalid_preterm_weeks",
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
    let opt_ins = vaccinations::opt_ins_of(db, access.baby.id).await?;
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
        return Err(AppError::conflict(
            "too_many_babies",
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
    let schedule = vaccinations::compute_stored(&baby, &History::default(), today)?;
    let baby = vaccinations::store_next_event_date(&txn, baby, &schedule).await?;
    txn.commit().await?;
    Ok(view(baby, CaregiverRole::Owner, Vec::new()))
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
    let access = access(db, member_id, baby_id).await?;
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
    let role = access(db, member_id, baby_id).await?.role;
    let txn = db.begin().await?;
    let baby = lock_for_update(&txn, baby_id, now).await?;
    let mut changed = baby.clone();
    changed.name = details.name;
    changed.birth_date = details.birth_date;
    changed.sex = details.sex.map(|s| s.as_str().to_owned());
    changed.preterm_weeks = details.preterm_weeks;
    let history = vaccinations::load_history(&txn, baby_id).await?;
    let schedule = vaccinations::compute_input(&changed, &history, today)?;
    let mut active: babies::ActiveModel = baby.into();
    active.name = Set(changed.name);
    active.birth_date = Set(changed.birth_date);
    active.sex = Set(changed.sex);
    active.preterm_weeks = Set(changed.preterm_weeks);
    active.updated_at = Set(now);
    let baby = active.update(&txn).await?;
    let baby = vaccinations::store_next_event_date(&txn, baby, &schedule).await?;
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
    access(db, member_id, baby_id).await?.require_owner()?;
    let txn = db.begin().await?;
    lock_for_update(&txn, baby_id, now).await?;
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

fn new_invite_code() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..INVITE_CODE_LEN)
        .map(|_| char::from(INVITE_ALPHABET[rng.gen_range(0..INVITE_ALPHABET.len())]))
        .collect()
}

fn invite_view(row: baby_invites::Model) -> InviteView {
    InviteView {
        baby_id: row.baby_id,
        code: row.code,
        created_at: row.created_at,
        expires_at: row.expires_at,
        accepted_by: row.accepted_by,
        accepted_at: row.accepted_at,
    }
}

/// A single-use code, valid for [`INVITE_TTL`], that shares the baby with whoever accepts it.
pub async fn create_invite<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
    now: DateTime<Utc>,
) -> Result<InviteView, AppError> {
    access(db, member_id, baby_id).await?.require_owner()?;
    // 32^10 codes: a collision is astronomically rare, but the unique index has the last word.
    for _ in 0..3 {
        let row = baby_invites::ActiveModel {
            baby_id: Set(baby_id),
            code: Set(new_invite_code()),
            created_by: Set(member_id),
            created_at: Set(now),
            expires_at: Set(now + INVITE_TTL),
            accepted_by: Set(None),
            accepted_at: Set(None),
            ..Default::default()
        };
        match row.insert(db).await {
            Ok(row) => return Ok(invite_view(row)),
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "three invite codes in a row collided"
    )))
}

/// Accepts an invite: the member becomes a caregiver of its baby. The code is spent by a
/// guarded update, so of two members racing for one code exactly one wins.
pub async fn accept_invite(
    db: &DatabaseConnection,
    member_id: i32,
    code: &str,
    now: DateTime<Utc>,
) -> Result<BabyView, AppError> {
    let code = code.trim().to_ascii_uppercase();
    let not_found = || AppError::not_found("invite_not_found", "no invite has this code");
    if code.is_empty() || code.len() > 16 {
        return Err(not_found());
    }
    let invite = baby_invites::Entity::find()
        .filter(baby_invites::Column::Code.eq(code.as_str()))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let used = || AppError::conflict("invite_already_used", "this invite was already accepted");
    if invite.accepted_at.is_some() {
        return Err(used());
    }
    if invite.expires_at <= now {
        return Err(AppError::new(
            actix_web::http::StatusCode::GONE,
            "invite_expired",
            "this invite has expired; ask for a new one",
        ));
    }
    let already = baby_caregivers::Entity::find()
        .filter(baby_caregivers::Column::BabyId.eq(invite.baby_id))
        .filter(baby_caregivers::Column::MemberId.eq(member_id))
        .one(db)
        .await?;
    if already.is_some() {
        return Err(AppError::conflict(
            "already_caregiver",
            "this baby is already shared with you",
        ));
    }
    require_consent(db, member_id).await?;

    let txn = db.begin().await?;
    let spent = baby_invites::Entity::update_many()
        .col_expr(baby_invites::Column::AcceptedBy, Expr::value(member_id))
        .col_expr(baby_invites::Column::AcceptedAt, Expr::value(now))
        .filter(baby_invites::Column::Id.eq(invite.id))
        .filter(baby_invites::Column::AcceptedAt.is_null())
        .filter(baby_invites::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if spent.rows_affected == 0 {
        return Err(used());
    }
    let link = baby_caregivers::ActiveModel {
        baby_id: Set(invite.baby_id),
        member_id: Set(member_id),
        role: Set(CaregiverRole::Caregiver.as_str().to_owned()),
        created_at: Set(now),
        ..Default::default()
    };
    match link.insert(&txn).await {
        Ok(_) => {}
        // Shared by another invite meanwhile: keep this code for someone else.
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::conflict(
                "already_caregiver",
                "this baby is already shared with you",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    txn.commit().await?;
    get(db, member_id, invite.baby_id).await
}

/// The baby's family: owner first, then caregivers by seniority.
pub async fn caregivers<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
) -> Result<Vec<CaregiverView>, AppError> {
    access(db, member_id, baby_id).await?;
    caregivers_of(db, baby_id).await
}

pub async fn caregivers_of<C: ConnectionTrait>(
    db: &C,
    baby_id: i32,
) -> Result<Vec<CaregiverView>, AppError> {
    let links = baby_caregivers::Entity::find()
        .filter(baby_caregivers::Column::BabyId.eq(baby_id))
        .order_by_asc(baby_caregivers::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = links.iter().map(|l| l.member_id).collect();
    let people = members::Entity::find()
        .filter(members::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let mut views: Vec<CaregiverView> = links
        .into_iter()
        .map(|link| CaregiverView {
            member_id: link.member_id,
            nickname: people
                .iter()
                .find(|m| m.id == link.member_id)
                .and_then(|m| m.nickname.clone()),
            role: CaregiverRole::parse(&link.role),
            since: link.created_at,
        })
        .collect();
    views.sort_by_key(|v| v.role != CaregiverRole::Owner);
    Ok(views)
}

/// The owner revokes a caregiver, or a caregiver leaves (`caregiver_id` = themselves).
pub async fn remove_caregiver<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
    caregiver_id: i32,
) -> Result<(), AppError> {
    let access = access(db, member_id, baby_id).await?;
    if caregiver_id == member_id {
        if access.role == CaregiverRole::Owner {
            return Err(AppError::bad_request(
                "owner_cannot_leave",
                "the owner cannot leave their baby; delete the baby instead",
            ));
        }
    } else {
        access.require_owner()?;
    }
    let removed = baby_caregivers::Entity::delete_many()
        .filter(baby_caregivers::Column::BabyId.eq(baby_id))
        .filter(baby_caregivers::Column::MemberId.eq(caregiver_id))
        .filter(baby_caregivers::Column::Role.eq(CaregiverRole::Caregiver.as_str()))
        .exec(db)
        .await?;
    if removed.rows_affected == 0 {
        return Err(AppError::not_found(
            "caregiver_not_found",
            "this member is not a caregiver of the baby",
        ));
    }
    Ok(())
}

/// Invites of a baby, newest first; for the export.
pub async fn invites_of<C: ConnectionTrait>(
    db: &C,
    baby_id: i32,
) -> Result<Vec<InviteView>, AppError> {
    Ok(baby_invites::Entity::find()
        .filter(baby_invites::Column::BabyId.eq(baby_id))
        .order_by_desc(baby_invites::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(invite_view)
        .collect())
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

    #[test]
    fn invite_codes_use_the_unambiguous_alphabet() {
        let code = new_invite_code();
        assert_eq!(code.len(), INVITE_CODE_LEN);
        assert!(code.bytes().all(|b| INVITE_ALPHABET.contains(&b)), "{code}");
        assert_ne!(code, new_invite_code());
    }
}
