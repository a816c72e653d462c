//! A partner merchant with one store, as the load examples seed it (no admin API in the way).

use chrono::{DateTime, Utc};
use entity::{merchant_stores, merchants};
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, Set};

pub async fn partner_store(
    db: &DatabaseConnection,
    name: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<(merchants::Model, merchant_stores::Model), DbErr> {
    let merchant = merchants::ActiveModel {
        name: Set(name.to_owned()),
        status: Set("active".into()),
        created_at: Set(now),
        kind: Set(kind.to_owned()),
        contact_name: Set("压测".into()),
        contact_phone: Set("13800000000".into()),
        commission_bps: Set(500),
        redemption_blocked: Set(false),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let store = merchant_stores::ActiveModel {
        merchant_id: Set(merchant.id),
        name: Set("一店".into()),
        created_at: Set(now),
        address: Set("长宁路1号".into()),
        city: Set("上海市".into()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((merchant, store))
}
