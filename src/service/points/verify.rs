//! `babyvax points verify`: for every member, the ledger's deltas add up to the balance, the
//! open lots' remainders too, and the growth deltas to the growth.

use std::collections::BTreeMap;

use entity::{points_accounts, points_ledger, points_lots};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use crate::error::AppError;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub member_id: i32,
    pub balance: i64,
    pub ledger_sum: i64,
    pub lots_remaining: i64,
    pub growth: i64,
    pub growth_sum: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub members: u64,
    pub differences: Vec<Difference>,
}

#[derive(Default, Clone, Copy)]
struct Sums {
    balance: i64,
    growth: i64,
    ledger: i64,
    growth_ledger: i64,
    lots: i64,
}

pub async fn verify<C: ConnectionTrait>(db: &C) -> Result<VerifyReport, AppError> {
    let mut sums: BTreeMap<i32, Sums> = BTreeMap::new();
    let accounts: Vec<(i32, i64, i64)> = points_accounts::Entity::find()
        .select_only()
        .column(points_accounts::Column::MemberId)
        .column(points_accounts::Column::Balance)
        .column(points_accounts::Column::Growth)
        .into_tuple()
        .all(db)
        .await?;
    for (member, balance, growth) in accounts {
        let s = sums.entry(member).or_default();
        s.balance = balance;
        s.growth = growth;
    }
    let ledger: Vec<(i32, Option<i64>, Option<i64>)> = points_ledger::Entity::find()
        .select_only()
        .column(points_ledger::Column::MemberId)
        .column_as(Expr::cust("CAST(SUM(delta) AS BIGINT)"), "points")
        .column_as(Expr::cust("CAST(SUM(growth_delta) AS BIGINT)"), "growth")
        .filter(points_ledger::Column::MemberId.is_not_null())
        .group_by(points_ledger::Column::MemberId)
        .into_tuple()
        .all(db)
        .await?;
    for (member, points, growth) in ledger {
        let s = sums.entry(member).or_default();
        s.ledger = points.unwrap_or(0);
        s.growth_ledger = growth.unwrap_or(0);
    }
    let lots: Vec<(i32, Option<i64>)> = points_lots::Entity::find()
        .select_only()
        .column(points_lots::Column::MemberId)
        .column_as(Expr::cust("CAST(SUM(remaining) AS BIGINT)"), "remaining")
        .group_by(points_lots::Column::MemberId)
        .into_tuple()
        .all(db)
        .await?;
    for (member, remaining) in lots {
        sums.entry(member).or_default().lots = remaining.unwrap_or(0);
    }
    let mut report = VerifyReport {
        members: sums.len() as u64,
        differences: Vec::new(),
    };
    for (member_id, s) in sums {
        if s.ledger != s.balance || s.lots != s.balance || s.growth_ledger != s.growth {
            report.differences.push(Difference {
                member_id,
                balance: s.balance,
                ledger_sum: s.ledger,
                lots_remaining: s.lots,
                growth: s.growth,
                growth_sum: s.growth_ledger,
            });
        }
    }
    Ok(report)
}
