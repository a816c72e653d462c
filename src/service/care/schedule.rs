//! A baby's schedule as the engine computes it from the recorded history: the edition and its
//! catalogue, the history loader, the schedule view, and what every change of a baby's history
//! or details stores in its transaction ([`store_next_event_date`]): the baby's next event date
//! and the push engine's follow of the change.

use chrono::{DateTime, NaiveDate, Utc};
use std::sync::LazyLock;

use entity::{babies, doses};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    IdenStatic, Iterable, QueryFilter, QueryOrder, Set, Statement,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::access;
use super::babies::BabySex;
use super::opt_ins::opt_ins_of;
use crate::domain::schedule::{
    self, Edition, GivenDose, Programme, ReasonCode, Schedule, ScheduleError, ScheduleInput,
    Status, VerificationLevel,
};
use crate::error::{AppError, ErrorCode};
use crate::service::audience::members;
use crate::service::support::trimmed_pattern;

/// What is recorded for a baby, as the engine needs it.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub doses: Vec<doses::Model>,
    pub opt_ins: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DoseState {
    Done,
    Due,
    Overdue,
    NotYetDue,
    NotApplicable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    /// National immunisation programme (free).
    Nip,
    /// A provincial or local free programme.
    Local,
    /// Paid by the parents; in the schedule because they opted in or recorded a dose.
    SelfPaid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    Unverified,
    Secondary,
    Convention,
    AnnouncementConfirmed,
    OfficialDerived,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    MinInterval,
    LiveVaccineInterval,
    CatchUp,
    CatchUpRequiresTest,
    AgeLimit,
    AlternativeChosen,
    NotForSex,
    SeriesComplete,
    SubstitutesMissedDose,
}

/// One dose of the schedule, as the engine computed it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduledDose {
    pub vaccine: String,
    pub dose: u8,
    pub status: DoseState,
    /// First day it may be given; null when not applicable.
    #[serde(serialize_with = "iso_date::option")]
    pub earliest: Option<NaiveDate>,
    /// The day to aim for.
    #[serde(serialize_with = "iso_date::option")]
    pub recommended: Option<NaiveDate>,
    /// Last day to give it on time; null when the programme sets no limit.
    #[serde(serialize_with = "iso_date::option")]
    pub complete_by: Option<NaiveDate>,
    /// Why the dose is not at its plain table date, overdue or not applicable (human text).
    pub reason: Option<String>,
    pub reason_code: Option<Reason>,
    #[serde(serialize_with = "iso_date::option")]
    pub given_on: Option<NaiveDate>,
    /// From this day on a pending dose is no longer given (age limit).
    #[serde(serialize_with = "iso_date::option")]
    pub not_given_from: Option<NaiveDate>,
    pub programme: Payer,
    /// How well the rule behind this dose was checked against its sources.
    pub verification: Verification,
    pub name_zh: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduleView {
    pub baby_id: i32,
    /// The schedule edition used, e.g. `nip-2026`.
    pub edition: String,
    #[serde(serialize_with = "iso_date::one")]
    pub as_of: NaiveDate,
    /// The next date after `as_of` on which a dose changes status.
    #[serde(serialize_with = "iso_date::option")]
    pub next_event_date: Option<NaiveDate>,
    pub doses: Vec<ScheduledDose>,
}

/// Dates written exactly as chrono writes them (`YYYY-MM-DD`), without chrono's per-character
/// `collect_str`: a schedule answers about a hundred dates, and that formatting was a tenth of the
/// route's time. Years outside 0..=9999 (which chrono signs) go through chrono.
mod iso_date {
    use chrono::{Datelike, NaiveDate};
    use serde::{Serialize, Serializer};

    pub fn one<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        let year = date.year();
        if !(0..=9999).contains(&year) {
            return date.serialize(serializer);
        }
        let mut text = *b"0000-00-00";
        let digits = |n: u32, out: &mut [u8]| {
            let mut n = n;
            for byte in out.iter_mut().rev() {
                *byte = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        digits(year.unsigned_abs(), &mut text[0..4]);
        digits(date.month(), &mut text[5..7]);
        digits(date.day(), &mut text[8..10]);
        match std::str::from_utf8(&text) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => date.serialize(serializer),
        }
    }

    pub fn option<S: Serializer>(
        date: &Option<NaiveDate>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        struct Iso<'a>(&'a NaiveDate);
        impl Serialize for Iso<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                one(self.0, serializer)
            }
        }
        match date {
            Some(date) => serializer.serialize_some(&Iso(date)),
            None => serializer.serialize_none(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VaccineInfo {
    pub id: String,
    pub name_zh: String,
    pub programme: Payer,
    /// Number of doses in the series.
    pub doses: u8,
    /// Whether it can be sent in `PUT /api/v1/babies/{id}/opt-ins`.
    pub optional: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductInfo {
    pub id: String,
    pub name_zh: String,
    pub programme: Payer,
    /// Vaccines whose doses a dose of this product counts as.
    pub counts_as: Vec<String>,
    pub optional: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VaccineCatalogue {
    pub edition: String,
    pub vaccines: Vec<VaccineInfo>,
    pub products: Vec<ProductInfo>,
}

impl From<Status> for DoseState {
    fn from(s: Status) -> Self {
        match s {
            Status::Done => DoseState::Done,
            Status::Due => DoseState::Due,
            Status::Overdue => DoseState::Overdue,
            Status::NotYetDue => DoseState::NotYetDue,
            Status::NotApplicable => DoseState::NotApplicable,
        }
    }
}

impl From<Programme> for Payer {
    fn from(p: Programme) -> Self {
        match p {
            Programme::Nip => Payer::Nip,
            Programme::Local => Payer::Local,
            Programme::SelfPaid => Payer::SelfPaid,
        }
    }
}

impl From<VerificationLevel> for Verification {
    fn from(v: VerificationLevel) -> Self {
        match v {
            VerificationLevel::Unverified => Verification::Unverified,
            VerificationLevel::Secondary => Verification::Secondary,
            VerificationLevel::Convention => Verification::Convention,
            VerificationLevel::AnnouncementConfirmed => Verification::AnnouncementConfirmed,
            VerificationLevel::OfficialDerived => Verification::OfficialDerived,
        }
    }
}

impl From<ReasonCode> for Reason {
    fn from(r: ReasonCode) -> Self {
        match r {
            ReasonCode::MinInterval => Reason::MinInterval,
            ReasonCode::LiveVaccineInterval => Reason::LiveVaccineInterval,
            ReasonCode::CatchUp => Reason::CatchUp,
            ReasonCode::CatchUpRequiresTest => Reason::CatchUpRequiresTest,
            ReasonCode::AgeLimit => Reason::AgeLimit,
            ReasonCode::AlternativeChosen => Reason::AlternativeChosen,
            ReasonCode::NotForSex => Reason::NotForSex,
            ReasonCode::SeriesComplete => Reason::SeriesComplete,
            ReasonCode::SubstitutesMissedDose => Reason::SubstitutesMissedDose,
        }
    }
}

pub fn scheduled_dose(d: schedule::DoseStatus) -> ScheduledDose {
    ScheduledDose {
        vaccine: d.vaccine,
        dose: d.dose,
        status: d.status.into(),
        earliest: d.earliest,
        recommended: d.recommended,
        complete_by: d.complete_by,
        reason: d.reason,
        reason_code: d.reason_code.map(Reason::from),
        given_on: d.given_on,
        not_given_from: d.not_given_from,
        programme: d.programme.into(),
        verification: d.verification.into(),
        name_zh: d.name_zh,
    }
}

/// The edition the service computes with.
pub fn edition() -> &'static Edition {
    Edition::current()
}

/// The Chinese name of a vaccine or product id of the edition.
pub fn name_zh(id: &str) -> Option<String> {
    let data = edition().data();
    data.vaccines
        .iter()
        .find(|v| v.id == id)
        .map(|v| v.name_zh.clone())
        .or_else(|| {
            data.products
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.name_zh.clone())
        })
}

/// Vaccines and products of the edition, for the dose picker and the opt-in screen.
pub fn catalogue() -> VaccineCatalogue {
    let data = edition().data();
    VaccineCatalogue {
        edition: edition().id().to_owned(),
        vaccines: data
            .vaccines
            .iter()
            .map(|v| VaccineInfo {
                id: v.id.clone(),
                name_zh: v.name_zh.clone(),
                programme: v.programme.into(),
                doses: u8::try_from(v.doses.len()).unwrap_or(u8::MAX),
                optional: v.programme == Programme::SelfPaid,
            })
            .collect(),
        products: data
            .products
            .iter()
            .map(|p| ProductInfo {
                id: p.id.clone(),
                name_zh: p.name_zh.clone(),
                programme: p.programme.into(),
                counts_as: p.counts_as.iter().map(|t| t.vaccine.clone()).collect(),
                optional: p.programme == Programme::SelfPaid,
            })
            .collect(),
    }
}

/// A string schema accepting the edition's ids (trimmed) that `keep` keeps, for the contract.
fn vaccine_ids_schema(
    keep: impl Fn(Programme) -> bool,
    description: &str,
) -> utoipa::openapi::Object {
    let data = edition().data();
    let ids: Vec<&str> = data
        .vaccines
        .iter()
        .map(|v| (v.id.as_str(), v.programme))
        .chain(data.products.iter().map(|p| (p.id.as_str(), p.programme)))
        .filter(|(_, programme)| keep(*programme))
        .map(|(id, _)| id)
        .collect();
    let escaped: Vec<String> = ids
        .iter()
        .map(|id| {
            id.chars()
                .flat_map(|c| {
                    let meta = "^$\\.*+?()[]{}|/".contains(c);
                    meta.then_some('\\').into_iter().chain([c])
                })
                .collect()
        })
        .collect();
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(trimmed_pattern(&format!("(?:{})", escaped.join("|")))))
        .description(Some(format!("{description} One of: {}.", ids.join(", "))))
        .build()
}

/// Any vaccine or product id of the edition.
pub fn vaccine_id_schema() -> utoipa::openapi::Object {
    vaccine_ids_schema(
        |_| true,
        "A vaccine or product id of the schedule edition (`GET /api/v1/vaccines`; \
         `unknown_vaccine` otherwise).",
    )
}

/// The self-paid vaccine and product ids, which may be opted into.
pub fn optional_vaccine_id_schema() -> utoipa::openapi::Object {
    vaccine_ids_schema(
        |p| p == Programme::SelfPaid,
        "A self-paid vaccine or product id (`optional` in `GET /api/v1/vaccines`; \
         `vaccine_not_optional` for free-programme ones, `unknown_vaccine` for others).",
    )
}

pub async fn load_history<C: ConnectionTrait>(db: &C, baby_id: i32) -> Result<History, AppError> {
    Ok(History {
        doses: load_doses(db, baby_id).await?,
        opt_ins: opt_ins_of(db, baby_id).await?,
    })
}

/// A baby's recorded doses in the order they were given.
pub(super) async fn load_doses<C: ConnectionTrait>(
    db: &C,
    baby_id: i32,
) -> Result<Vec<doses::Model>, AppError> {
    Ok(doses::Entity::find()
        .filter(doses::Column::BabyId.eq(baby_id))
        .order_by_asc(doses::Column::GivenOn)
        .order_by_asc(doses::Column::Vaccine)
        .order_by_asc(doses::Column::Dose)
        .all(db)
        .await?)
}

fn schedule_input(baby: &babies::Model, history: &History, as_of: NaiveDate) -> ScheduleInput {
    let given = history
        .doses
        .iter()
        .map(|d| GivenDose {
            vaccine: d.vaccine.clone(),
            // Stored doses passed `checked_dose`, so they fit.
            dose: u8::try_from(d.dose).unwrap_or(u8::MAX),
            date: d.given_on,
        })
        .collect();
    input_of(baby, given, history.opt_ins.clone(), as_of)
}

fn input_of(
    baby: &babies::Model,
    given: Vec<GivenDose>,
    opted_in: Vec<String>,
    as_of: NaiveDate,
) -> ScheduleInput {
    let mut input = ScheduleInput::new(baby.birth_date, as_of);
    input.sex = BabySex::of(baby);
    input.opted_in = opted_in;
    input.given = given;
    input
}

/// The engine's refusal of a history the caller is changing, as a 4xx.
fn refused_change(err: ScheduleError) -> AppError {
    match err {
        ScheduleError::InvalidEdition(_) => {
            AppError::Internal(anyhow::anyhow!("schedule edition is invalid: {err}"))
        }
        ScheduleError::DuplicateDose { .. } => {
            AppError::new(ErrorCode::DuplicateDose, err.to_string())
        }
        other => AppError::new(schedule_error_code(&other), other.to_string()),
    }
}

/// The registry's entry for an engine refusal.
fn schedule_error_code(err: &ScheduleError) -> ErrorCode {
    match err {
        ScheduleError::InvalidEdition(_) => ErrorCode::InternalError,
        ScheduleError::UnknownVaccine { .. } => ErrorCode::UnknownVaccine,
        ScheduleError::UnknownDose { .. } => ErrorCode::UnknownDose,
        ScheduleError::DoseBeforeBirth { .. } => ErrorCode::DoseBeforeBirth,
        ScheduleError::DuplicateDose { .. } => ErrorCode::DuplicateDose,
        ScheduleError::NotAnAlternative { .. } => ErrorCode::NotAnAlternative,
        ScheduleError::ConflictingAlternatives { .. } => ErrorCode::ConflictingAlternatives,
        ScheduleError::InvalidGivenFormat { .. } => ErrorCode::InvalidGivenFormat,
        ScheduleError::DateOutOfRange => ErrorCode::DateOutOfRange,
    }
}

/// The schedule of a history being changed: the engine's refusals are the caller's mistakes.
pub fn compute_input(
    baby: &babies::Model,
    history: &History,
    as_of: NaiveDate,
) -> Result<Schedule, AppError> {
    schedule::compute(edition(), &schedule_input(baby, history, as_of)).map_err(refused_change)
}

/// The schedule of a stored history. Stored histories were checked when written, so a refusal
/// here means the edition changed under them: 409 names the record to correct.
pub fn compute_stored(
    baby: &babies::Model,
    history: &History,
    as_of: NaiveDate,
) -> Result<Schedule, AppError> {
    compute_view(baby, &schedule_input(baby, history, as_of))
}

/// [`compute_stored`] from a stored history read elsewhere (the push planner reads a page of
/// babies' doses in one query): the doses in the order given, and the opt-ins.
pub fn compute_given(
    baby: &babies::Model,
    given: Vec<GivenDose>,
    opted_in: Vec<String>,
    as_of: NaiveDate,
) -> Result<Schedule, AppError> {
    compute_view(baby, &input_of(baby, given, opted_in, as_of))
}

fn compute_view(baby: &babies::Model, input: &ScheduleInput) -> Result<Schedule, AppError> {
    schedule::compute(edition(), input).map_err(|err| match err {
        ScheduleError::InvalidEdition(_) => {
            AppError::Internal(anyhow::anyhow!("schedule edition is invalid: {err}"))
        }
        ScheduleError::DateOutOfRange => AppError::new(ErrorCode::DateOutOfRange, err.to_string()),
        other => {
            tracing::warn!(baby = baby.id, error = %other, "stored history refused by the edition");
            AppError::new(
                ErrorCode::RecordedHistoryInvalid,
                format!(
                    "the recorded doses no longer fit the schedule: {other}; correct that record"
                ),
            )
        }
    })
}

/// The statement behind [`schedule`], per backend: the member (who must still exist), their
/// link to the baby, the baby, and its history (`doses UNION ALL baby_opt_ins`) folded into one
/// text column by [`HISTORY_ITEM`] and [`HISTORY_FIELD`] separators, so the answer is one row
/// (each row is a hop from SQLite's worker thread, and each value a copy). Parameters: member
/// id, baby id. No row: the member is gone or the baby is not theirs. Written once, not rebuilt
/// per request.
fn schedule_sql(backend: DbBackend) -> &'static str {
    static SQLITE: LazyLock<String> = LazyLock::new(|| {
        schedule_sql_for(
            "?",
            "group_concat(h.vaccine || char(31) || COALESCE(h.dose, '') || char(31) \
             || COALESCE(h.given_on, ''), char(30))",
        )
    });
    static POSTGRES: LazyLock<String> = LazyLock::new(|| {
        schedule_sql_for(
            "$",
            "string_agg(h.vaccine || chr(31) || COALESCE(h.dose::text, '') || chr(31) \
             || COALESCE(to_char(h.given_on, 'YYYY-MM-DD'), ''), chr(30))",
        )
    });
    match backend {
        DbBackend::Postgres => &POSTGRES,
        _ => &SQLITE,
    }
}

/// Between the history's items, and between an item's vaccine, dose and date (control
/// characters: never in an edition's vaccine ids, which every stored one is).
const HISTORY_ITEM: char = '\u{1e}';
const HISTORY_FIELD: char = '\u{1f}';

/// `parameter` is `?` (SQLite's `?1`) or `$` (PostgreSQL's `$1`).
fn schedule_sql_for(parameter: &str, aggregate: &str) -> String {
    let baby_columns: Vec<String> = babies::Column::iter()
        .map(|c| format!("b.\"{}\"", c.as_str()))
        .collect();
    format!(
        "SELECT {baby}, \
           (SELECT {aggregate} FROM (\
              SELECT vaccine, dose, given_on FROM doses WHERE baby_id = {p}2 \
              UNION ALL \
              SELECT vaccine, NULL, NULL FROM baby_opt_ins WHERE baby_id = {p}2\
           ) h) AS history \
         FROM members m \
         JOIN baby_caregivers c ON c.member_id = m.id AND c.baby_id = {p}2 \
         JOIN babies b ON b.id = c.baby_id \
         WHERE m.id = {p}1",
        baby = baby_columns.join(", "),
        p = parameter,
    )
}

/// The doses (in the order given) and sorted opt-ins of a history folded by [`schedule_sql`].
fn unfold_history(folded: &str) -> Result<(Vec<GivenDose>, Vec<String>), AppError> {
    let mut given = Vec::new();
    let mut opted_in = Vec::new();
    for item in folded.split(HISTORY_ITEM).filter(|item| !item.is_empty()) {
        let mut fields = item.split(HISTORY_FIELD);
        let (Some(vaccine), Some(dose), Some(date), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "unreadable history item {item:?}"
            )));
        };
        if dose.is_empty() && date.is_empty() {
            opted_in.push(vaccine.to_owned());
            continue;
        }
        let unreadable = |e: &dyn std::fmt::Display| {
            AppError::Internal(anyhow::anyhow!("unreadable history item {item:?}: {e}"))
        };
        let dose: i32 = dose.parse().map_err(|e| unreadable(&e))?;
        let date: NaiveDate = date.parse().map_err(|e| unreadable(&e))?;
        given.push(GivenDose {
            vaccine: vaccine.to_owned(),
            // Stored doses passed `checked_dose`, so they fit.
            dose: u8::try_from(dose).unwrap_or(u8::MAX),
            date,
        });
    }
    given.sort_by(|a, b| (a.date, &a.vaccine, a.dose).cmp(&(b.date, &b.vaccine, b.dose)));
    opted_in.sort();
    Ok((given, opted_in))
}

/// The baby `baby_id` if `member_id` still exists and may see it, with the engine's view of its
/// history (doses in the order given, opt-ins sorted), in one statement answering one row. A
/// member who is gone answers 401 `member_not_found` (as the member door's extractor does), a
/// baby they may not see 404 `baby_not_found`; telling those apart costs a second query only on
/// that refusal.
async fn visible_baby_with_history<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
) -> Result<(babies::Model, Vec<GivenDose>, Vec<String>), AppError> {
    let backend = db.get_database_backend();
    let statement = Statement::from_sql_and_values(
        backend,
        schedule_sql(backend),
        [member_id.into(), baby_id.into()],
    );
    let Some(row) = db.query_one(statement).await? else {
        members::ensure_exists(db, member_id).await?;
        return Err(access::baby_not_found());
    };
    let baby = babies::Model::from_query_result(&row, "")?;
    let folded: Option<String> = row.try_get("", "history")?;
    let (given, opted_in) = unfold_history(folded.as_deref().unwrap_or(""))?;
    Ok((baby, given, opted_in))
}

/// After a change made at `now`: stores `schedule`'s next event date on the baby (`schedule`
/// computed as of today), and lets the push engine follow the change (its index, the baby's
/// unsent reminders, a catch-up of the doses still missing).
pub async fn store_next_event_date<C: ConnectionTrait>(
    db: &C,
    baby: babies::Model,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<babies::Model, AppError> {
    super::reminders::on_schedule_changed(db, baby.id, schedule, now).await?;
    let next = schedule::next_event_date(schedule);
    if baby.next_event_date == next {
        return Ok(baby);
    }
    let mut active: babies::ActiveModel = baby.into();
    active.next_event_date = Set(next);
    Ok(active.update(db).await?)
}

/// The baby's schedule as of `as_of` (today in Asia/Shanghai when None), in one statement that
/// also checks the member still exists: 401 `member_not_found` for a member who is gone, 404
/// `baby_not_found` for a baby they may not see. The schedule route takes an
/// [`UncheckedMember`](crate::auth::UncheckedMember) because of that check.
pub async fn schedule<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
    as_of: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<ScheduleView, AppError> {
    let (baby, given, opted_in) = visible_baby_with_history(db, member_id, baby_id).await?;
    let mut input = ScheduleInput::new(baby.birth_date, as_of.unwrap_or(today));
    input.sex = BabySex::of(&baby);
    input.opted_in = opted_in;
    input.given = given;
    let computed = compute_view(&baby, &input)?;
    Ok(ScheduleView {
        baby_id,
        edition: edition().id().to_owned(),
        as_of: computed.as_of,
        next_event_date: schedule::next_event_date(&computed),
        doses: computed.doses.into_iter().map(scheduled_dose).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        #[derive(Serialize)]
        struct Ours {
            #[serde(serialize_with = "iso_date::one")]
            one: NaiveDate,
            #[serde(serialize_with = "iso_date::option")]
            some: Option<NaiveDate>,
            #[serde(serialize_with = "iso_date::option")]
            none: Option<NaiveDate>,
        }
        #[derive(Serialize)]
        struct Chrono {
            one: NaiveDate,
            some: Option<NaiveDate>,
            none: Option<NaiveDate>,
        }
        let dates = [
            NaiveDate::MIN,
            NaiveDate::from_ymd_opt(-1, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(0, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(7, 3, 9).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
            NaiveDate::MAX,
        ];
        for date in dates {
            let ours = Ours {
                one: date,
                some: Some(date),
                none: None,
            };
            let chrono = Chrono {
                one: date,
                some: Some(date),
                none: None,
            };
            assert_eq!(
                serde_json::to_string(&ours).unwrap(),
                serde_json::to_string(&chrono).unwrap()
            );
        }
    }

    #[test]
    fn the_catalogue_marks_self_paid_vaccines_optional() {
        let c = catalogue();
        assert_eq!(c.edition, "nip-2026");
        let pcv = c.vaccines.iter().find(|v| v.id == "PCV13").unwrap();
        assert!(pcv.optional && pcv.programme == Payer::SelfPaid);
        assert!(!c.vaccines.iter().find(|v| v.id == "HepB").unwrap().optional);
        assert!(name_zh("IPV").is_some());
    }
}
