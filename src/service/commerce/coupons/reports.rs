//! Merchants' figures over a range of days (Asia/Shanghai), by day, store or template: claims
//! of their coupons, redemptions, the redemption rate, the face value redeemed and our
//! commission on it. An owner sees every store; a clerk sees their own store's redemptions
//! (claims are not made at a store: a by-store report has none). The same figures as CSV.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use entity::{
    coupon_redemptions as redemptions, coupon_templates as templates, coupons, merchant_stores,
    settlement_lines as lines,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::coupons::shanghai_midnight;
use crate::domain::time::shanghai_date;
use crate::error::{AppError, ErrorCode};

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day, `YYYY-MM-DD` (Asia/Shanghai).
    pub from: String,
    /// Last day, included; at most 366 days after `from`.
    pub to: String,
    /// `day`, `store` or `template`.
    pub by: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportRow {
    /// The day (`YYYY-MM-DD`), store id or template id.
    pub key: String,
    /// The store's name or the template's title; the day again for `by=day`.
    pub label: String,
    pub claims: u64,
    pub redemptions: u64,
    /// Redemptions per claim; null without claims.
    pub redemption_rate: Option<f64>,
    pub face_value_fen: i64,
    pub commission_fen: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: String,
    pub rows: Vec<ReportRow>,
    pub total: ReportRow,
}

fn invalid(message: &str) -> AppError {
    AppError::new(ErrorCode::InvalidReportRange, message)
}

#[derive(Default)]
struct Sums {
    label: String,
    claims: u64,
    redemptions: u64,
    face: i64,
    commission: i64,
}

fn row(key: String, s: &Sums) -> ReportRow {
    ReportRow {
        key,
        label: s.label.clone(),
        claims: s.claims,
        redemptions: s.redemptions,
        redemption_rate: (s.claims > 0).then(|| s.redemptions as f64 / s.claims as f64),
        face_value_fen: s.face,
        commission_fen: s.commission,
    }
}

/// The merchant's report; `store_id` limits redemptions to one store (a clerk's).
pub async fn report(
    db: &DatabaseConnection,
    merchant_id: i32,
    store_id: Option<i32>,
    query: &ReportQuery,
) -> Result<Report, AppError> {
    let from: NaiveDate = query
        .from
        .parse()
        .map_err(|_| invalid("from must be YYYY-MM-DD"))?;
    let to: NaiveDate = query
        .to
        .parse()
        .map_err(|_| invalid("to must be YYYY-MM-DD"))?;
    if from > to || (to - from).num_days() > 366 {
        return Err(invalid(
            "from must not be after to, and at most 366 days before it",
        ));
    }
    if !matches!(query.by.as_str(), "day" | "store" | "template") {
        return Err(invalid("by must be day, store or template"));
    }
    let start = shanghai_midnight(from);
    let end = shanghai_midnight(to + Duration::days(1));
    let template_rows: BTreeMap<i32, String> = templates::Entity::find()
        .filter(templates::Column::MerchantId.eq(merchant_id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.title))
        .collect();
    let store_names: BTreeMap<i32, String> = merchant_stores::Entity::find()
        .filter(merchant_stores::Column::MerchantId.eq(merchant_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let claimed = coupons::Entity::find()
        .filter(coupons::Column::MerchantId.eq(merchant_id))
        .filter(coupons::Column::ClaimedAt.gte(start))
        .filter(coupons::Column::ClaimedAt.lt(end))
        .all(db)
        .await?;
    let mut redeemed = redemptions::Entity::find()
        .filter(redemptions::Column::MerchantId.eq(merchant_id))
        .filter(redemptions::Column::RedeemedAt.gte(start))
        .filter(redemptions::Column::RedeemedAt.lt(end));
    if let Some(store_id) = store_id {
        redeemed = redeemed.filter(redemptions::Column::StoreId.eq(store_id));
    }
    let redeemed = redeemed.all(db).await?;
    let commissions: BTreeMap<i64, i64> = if redeemed.is_empty() {
        BTreeMap::new()
    } else {
        lines::Entity::find()
            .filter(lines::Column::MerchantId.eq(merchant_id))
            .filter(lines::Column::RedemptionId.is_in(redeemed.iter().map(|r| r.id)))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|l| Some((l.redemption_id?, l.commission_fen)))
            .collect()
    };
    let coupon_templates: BTreeMap<i64, i32> = if redeemed.is_empty() {
        BTreeMap::new()
    } else {
        coupons::Entity::find()
            .filter(coupons::Column::Id.is_in(redeemed.iter().map(|r| r.coupon_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.template_id))
            .collect()
    };

    let mut groups: BTreeMap<String, Sums> = BTreeMap::new();
    let mut total = Sums {
        label: "total".to_owned(),
        ..Sums::default()
    };
    if query.by != "store" {
        for c in &claimed {
            let (key, label) = if query.by == "day" {
                let day = shanghai_date(c.claimed_at).to_string();
                (day.clone(), day)
            } else {
                let title = template_rows
                    .get(&c.template_id)
                    .cloned()
                    .unwrap_or_default();
                (c.template_id.to_string(), title)
            };
            let g = groups.entry(key).or_default();
            g.label = label;
            g.claims += 1;
        }
    }
    total.claims = claimed.len() as u64;
    for r in &redeemed {
        let commission = commissions.get(&r.id).copied().unwrap_or(0);
        let (key, label) = match query.by.as_str() {
            "day" => {
                let day = shanghai_date(r.redeemed_at).to_string();
                (day.clone(), day)
            }
            "store" => match r.store_id {
                Some(id) => (
                    id.to_string(),
                    store_names.get(&id).cloned().unwrap_or_default(),
                ),
                None => ("none".to_owned(), "owner (no store)".to_owned()),
            },
            _ => {
                let template_id = coupon_templates.get(&r.coupon_id).copied().unwrap_or(0);
                (
                    template_id.to_string(),
                    template_rows.get(&template_id).cloned().unwrap_or_default(),
                )
            }
        };
        let g = groups.entry(key).or_default();
        g.label = label;
        g.redemptions += 1;
        g.face += r.face_value_fen;
        g.commission += commission;
        total.redemptions += 1;
        total.face += r.face_value_fen;
        total.commission += commission;
    }
    Ok(Report {
        from,
        to,
        by: query.by.clone(),
        rows: groups.iter().map(|(k, s)| row(k.clone(), s)).collect(),
        total: row("total".to_owned(), &total),
    })
}

fn csv_field(text: &str) -> String {
    // Formula injection: a cell a spreadsheet would evaluate is quoted as text.
    let guarded = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// The report as CSV (UTF-8 with a BOM, for spreadsheet programs), the total last.
pub fn to_csv(report: &Report) -> String {
    let mut out = String::from(
        "\u{feff}key,label,claims,redemptions,redemption_rate,face_value_fen,commission_fen\r\n",
    );
    for r in report.rows.iter().chain(std::iter::once(&report.total)) {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\r\n",
            csv_field(&r.key),
            csv_field(&r.label),
            r.claims,
            r.redemptions,
            r.redemption_rate
                .map(|x| format!("{x:.4}"))
                .unwrap_or_default(),
            r.face_value_fen,
            r.commission_fen
        ));
    }
    out
}
