//! Self-paid vaccines a family opts into: they join the schedule as `programme: self_paid`.

use chrono::{DateTime, NaiveDate, Utc};
use entity::baby_opt_ins;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::access;
use super::schedule::{
    History, compute_input, edition, load_doses, optional_vaccine_id_schema, store_next_event_date,
};
use crate::domain::schedule::Programme;
use crate::error::{AppError, ErrorCode};

/// At most this many self-paid opt-ins per baby (the edition has a handful).
const MAX_OPT_INS: usize = 20;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OptInsInput {
    /// Self-paid vaccine or product ids, at most 20 (`too_many_opt_ins`); replaces the current
    /// list (empty clears it; repeats count once).
    #[schema(schema_with = opt_in_list_schema)]
    pub vaccines: Vec<String>,
}

fn opt_in_list_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(optional_vaccine_id_schema())
        .max_items(Some(MAX_OPT_INS))
        .description(Some(
            "Self-paid vaccine or product ids, at most 20 (`too_many_opt_ins`); replaces the \
             current list (empty clears it; repeats count once).",
        ))
        .build()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OptInsView {
    pub vaccines: Vec<String>,
    pub next_event_date: Option<NaiveDate>,
}

pub async fn opt_ins_of<C: ConnectionTrait>(db: &C, baby_id: i32) -> Result<Vec<String>, AppError> {
    Ok(baby_opt_ins::Entity::find()
        .filter(baby_opt_ins::Column::BabyId.eq(baby_id))
        .order_by_asc(baby_opt_ins::Column::Vaccine)
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.vaccine)
        .collect())
}

/// Checks opt-ins against the edition: self-paid vaccines or products only, each once.
fn checked_opt_ins(requested: &[String]) -> Result<Vec<String>, AppError> {
    if requested.len() > MAX_OPT_INS {
        return Err(AppError::new(
            ErrorCode::TooManyOptIns,
            format!("at most {MAX_OPT_INS} vaccines"),
        ));
    }
    let data = edition().data();
    let mut out: Vec<String> = Vec::new();
    for id in requested.iter().map(|v| v.trim()) {
        let programme = data
            .vaccines
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.programme)
            .or_else(|| {
                data.products
                    .iter()
                    .find(|p| p.id == id)
                    .map(|p| p.programme)
            })
            .ok_or_else(|| {
                AppError::new(ErrorCode::UnknownVaccine, format!("unknown vaccine `{id}`"))
            })?;
        if programme != Programme::SelfPaid {
            return Err(AppError::new(
                ErrorCode::VaccineNotOptional,
                format!("`{id}` is in a free programme and always in the schedule"),
            ));
        }
        if !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// Replaces the baby's self-paid opt-ins; they join the schedule as `programme: self_paid`.
pub async fn set_opt_ins(
    db: &DatabaseConnection,
    member_id: i32,
    baby_id: i32,
    input: &OptInsInput,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<OptInsView, AppError> {
    let vaccines = checked_opt_ins(&input.vaccines)?;
    let txn = db.begin().await?;
    let baby = access::lock_for_write(&txn, member_id, baby_id, now)
        .await?
        .baby;
    baby_opt_ins::Entity::delete_many()
        .filter(baby_opt_ins::Column::BabyId.eq(baby_id))
        .exec(&txn)
        .await?;
    if !vaccines.is_empty() {
        baby_opt_ins::Entity::insert_many(vaccines.iter().map(|v| baby_opt_ins::ActiveModel {
            baby_id: Set(baby_id),
            vaccine: Set(v.clone()),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let history = History {
        doses: load_doses(&txn, baby_id).await?,
        opt_ins: vaccines.clone(),
    };
    let schedule = compute_input(&baby, &history, today)?;
    let baby = store_next_event_date(&txn, baby, &schedule, now).await?;
    txn.commit().await?;
    Ok(OptInsView {
        vaccines,
        next_event_date: baby.next_event_date,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_self_paid_vaccines_can_be_opted_into() {
        let ok = checked_opt_ins(&["PCV13".into(), " EV71".into(), "PCV13".into()]).unwrap();
        assert_eq!(ok, ["EV71", "PCV13"]);
        assert!(checked_opt_ins(&["DTaP-IPV/Hib".into()]).is_ok());
        let code = |v: &str| checked_opt_ins(&[v.into()]).unwrap_err().code();
        assert_eq!(code("HepB"), "vaccine_not_optional");
        assert_eq!(code("IPV"), "vaccine_not_optional");
        assert_eq!(code("Nope"), "unknown_vaccine");
    }
}
