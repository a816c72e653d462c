//! Families for the demo (and the push tests): members created the way the mini-program
//! creates them, through the same services, so the push engine's index is filled by the real
//! code paths.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::members;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

use crate::error::AppError;
use crate::service::audience::consent::{self, PRIVACY_POLICY_VERSION};
use crate::service::audience::followers::{self, FollowChange};
use crate::service::care::babies::{self, BabyInput};
use crate::service::care::doses::{self, DoseInput};
use crate::service::messaging::subscriptions::{self, ConsentReport};

/// A parent: a mini-program member, optionally following the official account, optionally
/// with subscribe allowances.
#[derive(Debug, Clone)]
pub struct Family<'a> {
    /// Mini-program openid.
    pub openid: &'a str,
    /// Official-account openid, when the parent follows (or followed) the account.
    pub oa_openid: Option<&'a str>,
    /// Still following (false: followed once, then unfollowed).
    pub follows: bool,
    /// Subscribe allowances: template id and how many accepts.
    pub allowances: Vec<(&'a str, u32)>,
    pub nickname: &'a str,
    pub province: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct Seeded {
    pub member_id: i32,
    pub follower_id: Option<i32>,
}

pub async fn family(
    db: &DatabaseConnection,
    f: &Family<'_>,
    now: DateTime<Utc>,
) -> Result<Seeded, AppError> {
    let follower = match f.oa_openid {
        Some(oa) => {
            let row = followers::record(db, oa, FollowChange::Subscribe, None, now, now).await?;
            let row = if f.follows {
                row
            } else {
                followers::record(db, oa, FollowChange::Unsubscribe, None, now, now).await?
            };
            Some(row.id)
        }
        None => None,
    };
    let member = members::ActiveModel {
        openid: Set(f.openid.to_owned()),
        unionid: Set(None),
        follower_id: Set(follower),
        nickname: Set(Some(f.nickname.to_owned())),
        province: Set(f.province.map(str::to_owned)),
        city: Set(None),
        phone_number: Set(None),
        phone_country_code: Set(None),
        phone_verified_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    consent::record_consent(db, member.id, PRIVACY_POLICY_VERSION, now).await?;
    for (template, count) in &f.allowances {
        for i in 0..*count {
            let report = ConsentReport {
                results: BTreeMap::from([((*template).to_owned(), serde_json::json!("accept"))]),
                request_id: Some(format!("seed-{}-{template}-{i}", member.id)),
            };
            subscriptions::record(db, member.id, &report, now).await?;
        }
    }
    Ok(Seeded {
        member_id: member.id,
        follower_id: follower,
    })
}

/// A baby of `member_id` with doses given as `(vaccine, dose, date)`; answers its id.
pub async fn baby(
    db: &DatabaseConnection,
    member_id: i32,
    name: &str,
    birth: NaiveDate,
    doses: &[(&str, i32, NaiveDate)],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<i32, AppError> {
    let input = BabyInput {
        name: name.to_owned(),
        birth_date: birth,
        sex: None,
        preterm_weeks: None,
    };
    let view = babies::create(db, member_id, &input, today, now).await?;
    for (vaccine, dose, date) in doses {
        let input = DoseInput {
            vaccine: (*vaccine).to_owned(),
            dose: *dose,
            date: *date,
            clinic: Some("社区卫生服务中心预防接种门诊".to_owned()),
        };
        doses::add_dose(db, member_id, view.id, &input, today, now).await?;
    }
    Ok(view.id)
}
