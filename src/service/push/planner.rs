//! The planner: for a day, the messages due, from the babies whose next push date has come.
//!
//! Cost follows the babies with something due: babies are read through
//! `push_schedule.next_push_date <= as_of` (indexed), a page at a time, and each planned baby's
//! next push date moves to its next trigger day. Messages go into the outbox with
//! `ON CONFLICT (dedup_key) DO NOTHING`, so a second run of the same day plans nothing twice.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{babies, baby_opt_ins, doses, push_outbox, push_schedule};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;

use super::{preferences, stages, status};
use crate::config::PushSettings;
use crate::domain::push::{self, Kind, Planned, Preferences};
use crate::error::AppError;
use crate::service::care::schedule::{self, History};

/// Babies read and planned per transaction.
const PAGE: u64 = 500;

#[derive(Debug, Clone, Default, Serialize)]
pub struct PlanReport {
    pub as_of: Option<NaiveDate>,
    pub dry_run: bool,
    /// Babies whose next push date had come.
    pub babies_considered: u64,
    /// New outbox rows by kind (in a dry run: rows that would be new).
    pub planned: BTreeMap<String, u64>,
    /// Of those, held back by the parent's preferences (kept as `suppressed`).
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

fn kind_text(p: &Planned, lead_days: u32) -> String {
    let vaccine = p.name_zh.clone().unwrap_or_default();
    let dose = p.dose.unwrap_or(0);
    match p.kind {
        Kind::DueSoon => format!("{vaccine}第{dose}剂{lead_days}天后可以接种了"),
        Kind::DueToday => format!("{vaccine}第{dose}剂从今天起可以接种"),
        Kind::Overdue7 | Kind::Overdue30 | Kind::OverdueOther => {
            format!("{vaccine}第{dose}剂已过建议完成日期，请尽快补种")
        }
        Kind::Stage | Kind::Campaign => p.title.clone().unwrap_or_default(),
    }
}

/// Our fields for the templates (see `domain::push::templates`).
fn payload(
    baby: &babies::Model,
    p: &Planned,
    clinic: Option<&str>,
    lead_days: u32,
) -> serde_json::Value {
    let text = kind_text(p, lead_days);
    serde_json::json!({
        "baby_id": baby.id.to_string(),
        "baby_name": baby.name,
        "vaccine": p.vaccine.clone().unwrap_or_default(),
        "vaccine_name": p.name_zh.clone().unwrap_or_default(),
        "dose": p.dose.map(|d| d.to_string()).unwrap_or_default(),
        "date": p.event_date.to_string(),
        "clinic": clinic.unwrap_or("您常去的接种门诊"),
        "title": p.title.clone().unwrap_or_else(|| text.clone()),
        "summary": p.summary.clone().unwrap_or_default(),
        "kind_text": text,
    })
}

struct Page {
    babies: Vec<babies::Model>,
    stored: HashMap<i32, Option<NaiveDate>>,
    histories: HashMap<i32, History>,
    prefs: HashMap<i32, Preferences>,
}

async fn load_page<C: ConnectionTrait>(
    db: &C,
    settings: &PushSettings,
    as_of: NaiveDate,
    after: i32,
) -> Result<Option<Page>, AppError> {
    let due = push_schedule::Entity::find()
        .filter(push_schedule::Column::NextPushDate.lte(as_of))
        .filter(push_schedule::Column::BabyId.gt(after))
        .order_by_asc(push_schedule::Column::BabyId)
        .limit(PAGE)
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(None);
    }
    let ids: Vec<i32> = due.iter().map(|r| r.baby_id).collect();
    let stored = due.iter().map(|r| (r.baby_id, r.next_push_date)).collect();
    let babies = babies::Entity::find()
        .filter(babies::Column::Id.is_in(ids.clone()))
        .order_by_asc(babies::Column::Id)
        .all(db)
        .await?;
    let mut histories: HashMap<i32, History> = ids
        .iter()
        .map(|id| {
            (
                *id,
                History {
                    doses: Vec::new(),
                    opt_ins: Vec::new(),
                },
            )
        })
        .collect();
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
        .filter(baby_opt_ins::Column::BabyId.is_in(ids))
        .order_by_asc(baby_opt_ins::Column::Vaccine)
        .all(db)
        .await?
    {
        if let Some(h) = histories.get_mut(&opt.baby_id) {
            h.opt_ins.push(opt.vaccine);
        }
    }
    let owners: Vec<i32> = babies.iter().map(|b| b.owner_member_id).collect();
    let prefs = preferences::get_many(db, &owners, settings.quiet).await?;
    Ok(Some(Page {
        babies,
        stored,
        histories,
        prefs,
    }))
}

/// Plans `as_of` (a calendar day in Asia/Shanghai). `now` decides quiet hours: a message planned
/// inside them waits for their end. A dry run writes nothing.
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
        let mut rows = Vec::new();
        let mut next_dates: Vec<(i32, Option<NaiveDate>)> = Vec::new();
        for baby in &page.babies {
            report.babies_considered += 1;
            let Some(history) = page.histories.get(&baby.id) else {
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
            let stored = page
                .stored
                .get(&baby.id)
                .copied()
                .flatten()
                .unwrap_or(as_of);
            let from = push::plan_from(rules, stored, as_of);
            let planned = push::plan(rules, baby.birth_date, &schedule, &stage_list, from);
            let prefs = page
                .prefs
                .get(&baby.owner_member_id)
                .copied()
                .unwrap_or_else(|| Preferences::defaults(settings.quiet));
            let clinic = history.doses.iter().rev().find_map(|d| d.clinic.as_deref());
            for p in &planned {
                let allowed = prefs.allows(p.kind);
                let key = p.dedup_key(baby.id);
                rows.push((
                    key.clone(),
                    p.kind_name.clone(),
                    allowed,
                    push_outbox::ActiveModel {
                        dedup_key: Set(key),
                        kind: Set(p.kind_name.clone()),
                        baby_id: Set(Some(baby.id)),
                        member_id: Set(Some(baby.owner_member_id)),
                        follower_id: Set(None),
                        campaign_id: Set(None),
                        vaccine: Set(p.vaccine.clone()),
                        dose: Set(p.dose.map(i32::from)),
                        stage_id: Set(p.stage_id.clone()),
                        event_date: Set(Some(p.event_date)),
                        planned_for: Set(as_of),
                        payload: Set(payload(baby, p, clinic, rules.lead_days).to_string()),
                        status: Set(if allowed {
                            status::PENDING
                        } else {
                            status::SUPPRESSED
                        }
                        .to_owned()),
                        channel: Set(None),
                        template_id: Set(None),
                        openid: Set(None),
                        allowance_taken: Set(false),
                        attempts: Set(0),
                        not_before: Set(prefs.quiet.not_before(now)),
                        claimed_until: Set(None),
                        claimed_by: Set(None),
                        error_code: Set(None),
                        last_error: Set((!allowed).then(|| "preferences".to_owned())),
                        wechat_msgid: Set(None),
                        delivery_status: Set(None),
                        created_at: Set(now),
                        updated_at: Set(now),
                        sent_at: Set(None),
                        ..Default::default()
                    },
                ));
            }
            next_dates.push((
                baby.id,
                push::next_push_date(rules, baby.birth_date, &schedule, &stage_list, as_of),
            ));
        }
        // Schedule rows whose baby is gone (deleted between the reads) are simply skipped:
        // the cascade removes them.
        let keys: Vec<String> = rows.iter().map(|(key, ..)| key.clone()).collect();
        let mut existing = std::collections::HashSet::new();
        for chunk in keys.chunks(500) {
            for key in push_outbox::Entity::find()
                .select_only()
                .column(push_outbox::Column::DedupKey)
                .filter(push_outbox::Column::DedupKey.is_in(chunk.to_vec()))
                .into_tuple::<String>()
                .all(&txn)
                .await?
            {
                existing.insert(key);
            }
        }
        let mut fresh = Vec::new();
        for (key, kind, allowed, row) in rows {
            if existing.contains(&key) {
                report.already_planned += 1;
                continue;
            }
            *report.planned.entry(kind).or_default() += 1;
            if !allowed {
                report.suppressed += 1;
            }
            fresh.push(row);
        }
        if dry_run {
            txn.rollback().await?;
            continue;
        }
        for chunk in fresh.chunks(200) {
            // Another planner may have raced us to a key: it wins, we skip.
            push_outbox::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::column(push_outbox::Column::DedupKey)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        // One statement per distinct next date rather than per baby.
        let mut by_date: std::collections::BTreeMap<Option<NaiveDate>, Vec<i32>> =
            Default::default();
        for (baby_id, next) in next_dates {
            by_date.entry(next).or_default().push(baby_id);
        }
        for (next, baby_ids) in by_date {
            for chunk in baby_ids.chunks(500) {
                // Guarded: a dose recorded meanwhile may have moved the date to today; keep it.
                push_schedule::Entity::update_many()
                    .col_expr(push_schedule::Column::NextPushDate, Expr::value(next))
                    .col_expr(push_schedule::Column::UpdatedAt, Expr::value(now))
                    .filter(push_schedule::Column::BabyId.is_in(chunk.to_vec()))
                    .filter(push_schedule::Column::NextPushDate.lte(as_of))
                    .exec(&txn)
                    .await?;
            }
        }
        txn.commit().await?;
    }
    Ok(report)
}
