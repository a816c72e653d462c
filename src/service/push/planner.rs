//! The planner: for a day, the messages due, from the babies whose next push date has come.
//!
//! Cost follows the babies with something due: babies are read through
//! `push_schedule.next_push_date <= as_of` (indexed), a page at a time, and each planned baby's
//! next push date moves to its next reminder, stage or follow-up day. What a baby's day calls
//! for is `domain::push::plan_day`; each message goes to every caregiver of the baby (owner
//! first) whose preferences allow it (held ones are kept as `suppressed`), through
//! [`outbox::enqueue`], so a second run of the same day plans nothing twice.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{babies, baby_caregivers, baby_opt_ins, doses, push_schedule};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use serde::Serialize;

use super::{preferences, stages};
use crate::config::PushSettings;
use crate::domain::push::texts::dose_fields;
use crate::domain::push::{self, FollowUp, Planned, Preferences};
use crate::error::AppError;
use crate::service::care::schedule::{self, History};
use crate::service::messaging::outbox::{self, About, NewMessage, Recipient};

/// Babies read and planned per transaction.
const PAGE: u64 = 500;

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

struct Page {
    babies: Vec<babies::Model>,
    stored: HashMap<i32, Stored>,
    histories: HashMap<i32, History>,
    /// Each baby's caregivers, owner first.
    caregivers: HashMap<i32, Vec<i32>>,
    prefs: HashMap<i32, Preferences>,
}

async fn load_page<C: ConnectionTrait>(
    db: &C,
    settings: &PushSettings,
    as_of: NaiveDate,
    after: i32,
) -> Result<Option<Page>, AppError> {
    // Locked on PostgreSQL: a schedule change waits for the page (its catch-up is not
    // overwritten), and a second planner skips what the first planned.
    let due = push_schedule::Entity::find()
        .filter(push_schedule::Column::NextPushDate.lte(as_of))
        .filter(push_schedule::Column::BabyId.gt(after))
        .order_by_asc(push_schedule::Column::BabyId)
        .limit(PAGE)
        .lock_exclusive()
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(None);
    }
    let ids: Vec<i32> = due.iter().map(|r| r.baby_id).collect();
    let stored = due
        .iter()
        .map(|r| {
            (
                r.baby_id,
                Stored {
                    next_push_date: r.next_push_date,
                    follow_up: FollowUp {
                        on: r.follow_up_on,
                        catch_up: r.catch_up,
                    },
                },
            )
        })
        .collect();
    let babies = babies::Entity::find()
        .filter(babies::Column::Id.is_in(ids.clone()))
        .order_by_asc(babies::Column::Id)
        .all(db)
        .await?;
    let mut histories: HashMap<i32, History> =
        ids.iter().map(|id| (*id, History::default())).collect();
    for dose in doses::Entity::find()
        .filter(doses::Column::BabyId.is_in(ids.clone()))
        .order_by_asc(doses::Column::GivenOn)
        .order_by_asc(doses::Column::Vaccine)
        .order_by_asc(doses::Column::Dose)
        .all(db)
        .await?
    {
        if let Some(h) = histories.get_mut(&dose.baby_id) {
            h.doses.push(dose);
        }
    }
    for opt in baby_opt_ins::Entity::find()
        .filter(baby_opt_ins::Column::BabyId.is_in(ids.clone()))
        .order_by_asc(baby_opt_ins::Column::Vaccine)
        .all(db)
        .await?
    {
        if let Some(h) = histories.get_mut(&opt.baby_id) {
            h.opt_ins.push(opt.vaccine);
        }
    }
    let mut caregivers: HashMap<i32, Vec<i32>> = babies
        .iter()
        .map(|b| (b.id, vec![b.owner_member_id]))
        .collect();
    for link in baby_caregivers::Entity::find()
        .filter(baby_caregivers::Column::BabyId.is_in(ids))
        .order_by_asc(baby_caregivers::Column::Id)
        .all(db)
        .await?
    {
        if let Some(members) = caregivers.get_mut(&link.baby_id)
            && !members.contains(&link.member_id)
        {
            members.push(link.member_id);
        }
    }
    let mut members: Vec<i32> = caregivers.values().flatten().copied().collect();
    members.sort_unstable();
    members.dedup();
    let prefs = preferences::get_many(db, &members, settings.quiet).await?;
    Ok(Some(Page {
        babies,
        stored,
        histories,
        caregivers,
        prefs,
    }))
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
        after = page.stored.keys().copied().max().unwrap_or(after);
        // By kind, and whether the recipient's preferences hold them: counted as enqueued.
        let mut messages: BTreeMap<(String, bool), Vec<NewMessage>> = BTreeMap::new();
        let mut states: BTreeMap<(Option<NaiveDate>, FollowUp), Vec<i32>> = BTreeMap::new();
        for baby in &page.babies {
            report.babies_considered += 1;
            let (Some(history), Some(stored)) =
                (page.histories.get(&baby.id), page.stored.get(&baby.id))
            else {
                continue;
            };
            let schedule = match schedule::compute_stored(baby, history, as_of) {
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
            let clinic = history.doses.iter().rev().find_map(|d| d.clinic.as_deref());
            let recipients = page.caregivers.get(&baby.id).map_or(&[][..], Vec::as_slice);
            for p in &day.messages {
                let fields = payload(baby, p, clinic, as_of);
                for &member in recipients {
                    let prefs = page
                        .prefs
                        .get(&member)
                        .copied()
                        .unwrap_or_else(|| Preferences::defaults(settings.quiet));
                    let allowed = prefs.allows(p.kind);
                    messages
                        .entry((p.kind_name.clone(), allowed))
                        .or_default()
                        .push(NewMessage {
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
            states
                .entry((day.next_push_date, day.follow_up))
                .or_default()
                .push(baby.id);
        }
        // Schedule rows whose baby is gone (deleted between the reads) are simply skipped:
        // the cascade removes them.
        for ((kind, allowed), batch) in messages {
            let offered = batch.len() as u64;
            let added = outbox::enqueue(&txn, batch, now).await?;
            report.already_planned += offered - added;
            if added > 0 {
                *report.planned.entry(kind).or_default() += added;
            }
            if !allowed {
                report.suppressed += added;
            }
        }
        // One statement per distinct state rather than per baby.
        for ((next, follow_up), baby_ids) in states {
            for chunk in baby_ids.chunks(500) {
                push_schedule::Entity::update_many()
                    .col_expr(push_schedule::Column::NextPushDate, Expr::value(next))
                    .col_expr(push_schedule::Column::FollowUpOn, Expr::value(follow_up.on))
                    .col_expr(
                        push_schedule::Column::CatchUp,
                        Expr::value(follow_up.catch_up),
                    )
                    .col_expr(push_schedule::Column::UpdatedAt, Expr::value(now))
                    .filter(push_schedule::Column::BabyId.is_in(chunk.to_vec()))
                    .exec(&txn)
                    .await?;
            }
        }
        if dry_run {
            txn.rollback().await?;
        } else {
            txn.commit().await?;
        }
    }
    Ok(report)
}
