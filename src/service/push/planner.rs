//! The planner: for a day, the messages due, from the babies whose next push date has come.
//!
//! Cost follows the babies with something due: babies are read through
//! `push_schedule.next_push_date <= as_of` (indexed), a page at a time, and each planned baby's
//! next push date moves to its next reminder, stage or follow-up day. What a baby's day calls
//! for is `domain::push::plan_day`; each message goes to every caregiver of the baby (owner
//! first) whose preferences allow it (held ones are kept as `suppressed`), through
//! [`outbox::enqueue_by_kind`] (one call a page), so a second run of the same day plans nothing
//! twice.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use entity::babies;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, FromQueryResult, QueryResult, Statement,
    TransactionTrait, Value,
};
use serde::Serialize;

use super::{preferences, stages};
use crate::config::PushSettings;
use crate::domain::push::texts::dose_fields;
use crate::domain::push::{self, FollowUp, Planned, Preferences};
use crate::domain::schedule::GivenDose;
use crate::error::AppError;
use crate::service::care::schedule;
use crate::service::messaging::outbox::{self, About, NewMessage, Recipient};
use crate::service::support::push_placeholder;

/// Babies read and planned per transaction.
const PAGE: u64 = 1000;

/// Babies per state UPDATE: 4 parameters each, far below either database's limit.
const STATES_CHUNK: usize = 1000;

#[derive(Debug, Clone, Default, Serialize)]
pub struct PlanReport {
    pub as_of: Option<NaiveDate>,
    pub dry_run: bool,
    /// Babies whose next push date had come.
    pub babies_considered: u64,
    /// New outbox rows by kind, one per recipient (in a dry run: rows that would be new).
    pub planned: BTreeMap<String, u64>,
    /// Of those, held back by the recipient's preferences (kept as `suppressed`).
    pub suppressed: u64,
    /// Messages already in the outbox from an earlier run.
    pub already_planned: u64,
    /// Babies whose stored history the schedule refused (logged; planned again tomorrow).
    pub errors: u64,
}

impl PlanReport {
    pub fn total_planned(&self) -> u64 {
        self.planned.values().sum()
    }
}

/// Our fields for the templates (see `domain::push::templates`).
fn payload(
    baby: &babies::Model,
    p: &Planned,
    clinic: Option<&str>,
    as_of: NaiveDate,
) -> serde_json::Value {
    let mut fields = serde_json::Map::new();
    let mut put = |key: &str, value: String| {
        fields.insert(key.to_owned(), serde_json::Value::String(value));
    };
    put("baby_id", baby.id.to_string());
    put("baby_name", baby.name.clone());
    put("date", p.event_date.to_string());
    put("clinic", clinic.unwrap_or("您常去的接种门诊").to_owned());
    put("summary", p.summary.clone().unwrap_or_default());
    let title = p.title.clone().unwrap_or_default();
    put("title", title.clone());
    put("kind_text", title);
    if p.kind.is_dose() {
        dose_fields(p.kind, &p.doses, p.event_date, as_of).write_into(&mut fields);
    }
    serde_json::Value::Object(fields)
}

/// One baby's stored planning state.
struct Stored {
    next_push_date: Option<NaiveDate>,
    follow_up: FollowUp,
}

/// A due baby as the page query reads it.
struct DueBaby {
    baby: babies::Model,
    stored: Stored,
    /// Its doses in the order given (date, vaccine, dose), with their clinics.
    doses: Vec<(GivenDose, Option<String>)>,
    opt_ins: Vec<String>,
    /// Its caregivers, owner first.
    caregivers: Vec<i32>,
}

struct Page {
    babies: Vec<DueBaby>,
    prefs: HashMap<i32, Preferences>,
}

/// The due babies of a page with everything planning reads about them, one row per baby: the
/// doses, opt-ins and caregivers aggregated as JSON arrays (one statement and one row per baby
/// rather than five statements and a row per dose). Locked on PostgreSQL: a schedule change
/// waits for the page (its catch-up is not overwritten), and a second planner skips what the
/// first planned.
const PAGE_SQL: &str = "SELECT s.baby_id, s.next_push_date, s.follow_up_on, s.catch_up, \
     b.id, b.owner_member_id, b.name, b.birth_date, b.sex, b.preterm_weeks, b.next_event_date, \
     b.created_at, b.updated_at, \
     (SELECT {agg}({array}(d.vaccine, d.dose, d.given_on, d.clinic) \
       ORDER BY d.given_on, d.vaccine, d.dose) FROM doses d WHERE d.baby_id = s.baby_id) \
       {text} AS doses_json, \
     (SELECT {agg}(o.vaccine ORDER BY o.vaccine) FROM baby_opt_ins o \
       WHERE o.baby_id = s.baby_id) {text} AS opt_ins_json, \
     (SELECT {agg}(c.member_id ORDER BY c.id) FROM baby_caregivers c \
       WHERE c.baby_id = s.baby_id) {text} AS caregivers_json \
     FROM push_schedule s JOIN babies b ON b.id = s.baby_id \
     WHERE s.next_push_date <= {p1} AND s.baby_id > {p2} ORDER BY s.baby_id LIMIT {p3}{lock}";

fn page_sql(backend: DatabaseBackend) -> String {
    let postgres = backend == DatabaseBackend::Postgres;
    let (agg, array, text, p1, p2, p3, lock) = if postgres {
        (
            "json_agg",
            "json_build_array",
            "::text",
            "$1",
            "$2",
            "$3",
            " FOR UPDATE OF s",
        )
    } else {
        ("json_group_array", "json_array", "", "?", "?", "?", "")
    };
    PAGE_SQL
        .replace("{agg}", agg)
        .replace("{array}", array)
        .replace("{text}", text)
        .replace("{p1}", p1)
        .replace("{p2}", p2)
        .replace("{p3}", p3)
        .replace("{lock}", lock)
}

/// A JSON array the page query aggregated (PostgreSQL's `json_agg` of no rows is NULL).
fn json_list<T: serde::de::DeserializeOwned>(
    row: &QueryResult,
    column: &str,
) -> Result<Vec<T>, AppError> {
    let text: Option<String> = row.try_get("", column)?;
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            AppError::Internal(anyhow::anyhow!("planner page: unreadable {column}: {e}"))
        }),
    }
}

fn due_baby(row: &QueryResult) -> Result<DueBaby, AppError> {
    let baby = babies::Model::from_query_result(row, "")?;
    let stored = Stored {
        next_push_date: row.try_get("", "next_push_date")?,
        follow_up: FollowUp {
            on: row.try_get("", "follow_up_on")?,
            catch_up: row.try_get("", "catch_up")?,
        },
    };
    let doses = json_list::<(String, i32, NaiveDate, Option<String>)>(row, "doses_json")?
        .into_iter()
        .map(|(vaccine, dose, date, clinic)| {
            let given = GivenDose {
                vaccine,
                // Stored doses passed `checked_dose`, so they fit.
                dose: u8::try_from(dose).unwrap_or(u8::MAX),
                date,
            };
            (given, clinic)
        })
        .collect();
    let opt_ins = json_list::<String>(row, "opt_ins_json")?;
    let mut caregivers = vec![baby.owner_member_id];
    for member in json_list::<i32>(row, "caregivers_json")? {
        if !caregivers.contains(&member) {
            caregivers.push(member);
        }
    }
    Ok(DueBaby {
        baby,
        stored,
        doses,
        opt_ins,
        caregivers,
    })
}

async fn load_page<C: ConnectionTrait>(
    db: &C,
    settings: &PushSettings,
    as_of: NaiveDate,
    after: i32,
) -> Result<Option<Page>, AppError> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all(Statement::from_sql_and_values(
            backend,
            page_sql(backend),
            [
                Value::from(as_of),
                Value::from(after),
                Value::from(PAGE as i64),
            ],
        ))
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let babies = rows.iter().map(due_baby).collect::<Result<Vec<_>, _>>()?;
    let mut members: Vec<i32> = babies
        .iter()
        .flat_map(|b| b.caregivers.iter().copied())
        .collect();
    members.sort_unstable();
    members.dedup();
    let prefs = preferences::get_many(db, &members, settings.quiet).await?;
    Ok(Some(Page { babies, prefs }))
}

/// Babies' new planning states, per baby: one UPDATE from a VALUES list per chunk (a page's
/// babies have nearly as many distinct states as babies, so grouping by state saved little).
async fn store_states<C: ConnectionTrait>(
    db: &C,
    states: &[(i32, Option<NaiveDate>, FollowUp)],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let backend = db.get_database_backend();
    let postgres = backend == DatabaseBackend::Postgres;
    for chunk in states.chunks(STATES_CHUNK) {
        let mut sql = String::with_capacity(64 + chunk.len() * 40);
        let mut values: Vec<Value> = Vec::with_capacity(1 + chunk.len() * 4);
        let mut param = |sql: &mut String, v: Value, cast: &str| {
            values.push(v);
            push_placeholder(sql, backend, values.len());
            if postgres {
                sql.push_str(cast);
            }
        };
        sql.push_str("WITH v(baby_id, next_push_date, follow_up_on, catch_up) AS (VALUES ");
        for (i, (baby, next, follow_up)) in chunk.iter().enumerate() {
            // PostgreSQL types a VALUES list from its first row.
            let first = i == 0 && postgres;
            sql.push_str(if i == 0 { "(" } else { ",(" });
            param(
                &mut sql,
                Value::from(*baby),
                if first { "::int" } else { "" },
            );
            sql.push(',');
            param(
                &mut sql,
                Value::from(*next),
                if first { "::date" } else { "" },
            );
            sql.push(',');
            param(
                &mut sql,
                Value::from(follow_up.on),
                if first { "::date" } else { "" },
            );
            sql.push(',');
            param(
                &mut sql,
                Value::from(follow_up.catch_up),
                if first { "::bool" } else { "" },
            );
            sql.push(')');
        }
        sql.push_str(
            ") UPDATE push_schedule SET next_push_date = v.next_push_date, \
             follow_up_on = v.follow_up_on, catch_up = v.catch_up, updated_at = ",
        );
        param(&mut sql, Value::from(now), "");
        sql.push_str(" FROM v WHERE push_schedule.baby_id = v.baby_id");
        db.execute(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// Plans `as_of` (a calendar day in Asia/Shanghai). `now` decides quiet hours: a message planned
/// inside them waits for their end. A dry run plans inside transactions it rolls back.
pub async fn plan_day(
    db: &DatabaseConnection,
    settings: &PushSettings,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<PlanReport, AppError> {
    let rules = &settings.rules;
    let mut report = PlanReport {
        as_of: Some(as_of),
        dry_run,
        ..PlanReport::default()
    };
    let mut after = 0;
    loop {
        let txn = db.begin().await?;
        let Some(page) = load_page(&txn, settings, as_of, after).await? else {
            txn.commit().await?;
            break;
        };
        after = page.babies.iter().map(|b| b.baby.id).max().unwrap_or(after);
        let mut messages: Vec<NewMessage> = Vec::new();
        let mut states: Vec<(i32, Option<NaiveDate>, FollowUp)> =
            Vec::with_capacity(page.babies.len());
        for due in page.babies {
            report.babies_considered += 1;
            let DueBaby {
                baby,
                stored,
                doses,
                opt_ins,
                caregivers,
            } = due;
            let baby = &baby;
            let clinic = doses.iter().rev().find_map(|(_, c)| c.clone());
            let given = doses.into_iter().map(|(g, _)| g).collect();
            let schedule = match schedule::compute_given(baby, given, opt_ins, as_of) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(baby = baby.id, error = %e, "push planner skipped a baby");
                    report.errors += 1;
                    continue;
                }
            };
            let stage_list = stages::for_baby(baby, as_of);
            let from = push::plan_from(rules, stored.next_push_date.unwrap_or(as_of), as_of);
            let day = push::plan_day(
                rules,
                baby.birth_date,
                &schedule,
                &stage_list,
                from,
                stored.follow_up,
            );
            for p in &day.messages {
                let fields = payload(baby, p, clinic.as_deref(), as_of);
                for &member in &caregivers {
                    let prefs = page
                        .prefs
                        .get(&member)
                        .copied()
                        .unwrap_or_else(|| Preferences::defaults(settings.quiet));
                    let allowed = prefs.allows(p.kind);
                    messages.push(NewMessage {
                        dedup_key: p.dedup_key(baby.id, member),
                        kind: p.kind_name.clone(),
                        recipient: Recipient::Member(member),
                        payload: fields.clone(),
                        planned_for: as_of,
                        not_before: prefs.quiet.not_before(now),
                        held: (!allowed).then(|| "preferences".to_owned()),
                        about: About {
                            baby_id: Some(baby.id),
                            campaign_id: None,
                            doses: p.doses.iter().map(|d| d.id.clone()).collect(),
                            stage_id: p.stage_id.clone(),
                            event_date: Some(p.event_date),
                        },
                    });
                }
            }
            states.push((baby.id, day.next_push_date, day.follow_up));
        }
        // Schedule rows whose baby is gone (deleted between the reads) are simply skipped:
        // the cascade removes them.
        // One call for the page's messages of every kind: new rows counted by kind, and held
        // ones (kept as `suppressed`) apart.
        let offered = messages.len() as u64;
        let mut added = 0;
        for ((kind, held), new) in outbox::enqueue_by_kind(&txn, messages, now).await? {
            added += new;
            *report.planned.entry(kind).or_default() += new;
            if held {
                report.suppressed += new;
            }
        }
        report.already_planned += offered - added;
        store_states(&txn, &states, now).await?;
        if dry_run {
            txn.rollback().await?;
        } else {
            txn.commit().await?;
        }
    }
    Ok(report)
}
