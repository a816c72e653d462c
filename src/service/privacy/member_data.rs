//! A member's right to their data: everything we hold about them in one export, and erasure.
//!
//! Erasure removes the member, their consents, their subscription ledger and balances, the
//! babies they own with everything recorded about them (doses, opt-ins, invites, caregivers'
//! access), and their access to babies others own. Babies others own stay with their owners:
//! the doses this member recorded there stay too, no longer attributed to anyone. The
//! official-account follower row is the account's own record of a WeChat follow (the user
//! leaves it by unfollowing), so it stays, with nothing left that points to the member.
//! Payment orders and membership periods are money records: their amounts stay for the
//! accounts, with the link to the member (and the openid) cut.
//! Coupons stay for the merchants' settlement (their amounts, redemptions and lines), no longer
//! linked to the member; their redemption codes and per-member claim counters go.
//! Event bookings: live bookings of events not yet started are cancelled first (seats freed for
//! the waitlist, no refund: the pay order stays for operators), waitlist places left; the rows
//! stay for the venues' attendance figures, no longer linked to the member.
//! Points: the account, its lots and the check-ins go; the ledger's rows stay for accounting
//! (a liability that was once owed), no longer linked to the member.

use chrono::{DateTime, Utc};
use entity::{
    babies, baby_caregivers, baby_invites, coupon_codes, coupon_member_claims, coupon_templates,
    coupons, doses, members as member_rows, points_accounts, points_check_ins, points_ledger,
    points_lots, privacy_consents, subscription_allowances, subscription_events,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::push::QuietHours;
use crate::error::AppError;
use crate::service::audience::consent::{self, ConsentView};
use crate::service::audience::members::{self, MemberView};
use crate::service::care::access::CaregiverRole;
use crate::service::care::babies::{self as baby_service, BabyView};
use crate::service::care::caregivers::{self, CaregiverView, InviteView};
use crate::service::care::doses::{self as dose_service, DoseView};
use crate::service::commerce::events::privacy::{self as event_data, EventsExport};
use crate::service::commerce::membership::{self, PeriodView};
use crate::service::commerce::payments::{self, OrderView};
use crate::service::messaging::subscriptions::{self, Allowance, LedgerEntry};
use crate::service::points::views::{
    self as points_views, LedgerEntry as PointsEntry, PointsSummary,
};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BabyExport {
    pub baby: BabyView,
    pub doses: Vec<DoseView>,
    pub caregivers: Vec<CaregiverView>,
    /// Invites of babies you own (empty for babies shared with you).
    pub invites: Vec<InviteView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberExport {
    pub exported_at: DateTime<Utc>,
    pub member: MemberView,
    /// Your mini-program openid.
    pub openid: String,
    pub unionid: Option<String>,
    pub last_login_at: DateTime<Utc>,
    pub privacy_consents: Vec<ConsentView>,
    /// Babies you own and babies shared with you (see `baby.role`).
    pub babies: Vec<BabyExport>,
    pub subscription_allowances: Vec<Allowance>,
    pub subscription_ledger: Vec<LedgerEntry>,
    /// Your WeChat Pay orders.
    pub pay_orders: Vec<OrderView>,
    /// Your membership periods.
    pub membership_periods: Vec<PeriodView>,
    /// Coupons you claimed or were granted.
    pub coupons: Vec<CouponExport>,
    /// Your shop orders (points-mall exchanges too), with their items and addresses.
    pub shop_orders: Vec<crate::service::commerce::shop::orders::ShopOrderView>,
    /// Your points balance, growth and level.
    pub points: PointsSummary,
    /// Every move of your points, oldest first.
    pub points_ledger: Vec<PointsEntry>,
    /// Your bookings of lectures and classes, and waitlist places.
    pub events: EventsExport,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CouponExport {
    pub id: i64,
    pub template_id: i32,
    pub title: String,
    pub merchant_id: Option<i32>,
    /// `unused` or `used`.
    pub status: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub claimed_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Rows removed by an erasure, table by table.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ErasureCounts {
    pub members: u64,
    pub privacy_consents: u64,
    /// Babies you owned.
    pub babies: u64,
    /// Doses of the babies you owned.
    pub doses: u64,
    pub opt_ins: u64,
    /// Caregiver links: to babies you owned (yours and your caregivers'), and yours to babies
    /// shared with you.
    pub caregiver_links: u64,
    /// Invites of the babies you owned.
    pub invites: u64,
    pub subscription_events: u64,
    pub subscription_allowances: u64,
    /// Your points account, its lots and your check-ins.
    pub points_records: u64,
    /// Points ledger rows: their amounts kept for accounting, no longer linked to you.
    pub points_ledger_unlinked: u64,
    /// Doses you recorded on babies others own: kept for them, no longer attributed to you.
    pub doses_unattributed: u64,
    /// Invites of others' babies you accepted: kept for them, no longer naming you.
    pub invites_unattributed: u64,
    /// Payment orders: amounts kept for the accounts, no longer linked to you.
    pub pay_orders_unattributed: u64,
    /// Membership periods: kept for the accounts, no longer linked to you.
    pub membership_periods_unattributed: u64,
    /// Your coupons: kept for the merchants' settlement, no longer linked to you.
    pub coupons_unattributed: u64,
    /// Your coupons' redemption codes.
    pub coupon_codes: u64,
    /// Shop orders: amounts and items kept for the accounts, no longer linked to you, their
    /// shipping addresses and refund reasons removed (with your flash-sale holds).
    pub shop_orders_anonymised: u64,
    /// Live bookings of events not yet started, cancelled (seats freed, no refund).
    pub event_bookings_cancelled: u64,
    /// Bookings and waitlist places: kept for the venues' figures, no longer linked to you.
    pub event_rows_unattributed: u64,
}

pub async fn export(
    db: &DatabaseConnection,
    member_id: i32,
    now: DateTime<Utc>,
) -> Result<MemberExport, AppError> {
    let member = members::find(db, member_id).await?;
    let consents = privacy_consents::Entity::find()
        .filter(privacy_consents::Column::MemberId.eq(member_id))
        .order_by_asc(privacy_consents::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(consent::consent_view)
        .collect();
    let mut babies = Vec::new();
    for baby in baby_service::list(db, member_id).await? {
        let owned = baby.role == CaregiverRole::Owner;
        babies.push(BabyExport {
            doses: dose_service::doses_of(db, baby.id).await?,
            caregivers: caregivers::caregivers_of(db, baby.id).await?,
            invites: if owned {
                caregivers::invites_of(db, baby.id).await?
            } else {
                Vec::new()
            },
            baby,
        });
    }
    Ok(MemberExport {
        exported_at: now,
        openid: member.openid.clone(),
        unionid: member.unionid.clone(),
        last_login_at: member.last_login_at,
        member: members::view(db, member).await?,
        privacy_consents: consents,
        babies,
        subscription_allowances: subscriptions::allowances(db, member_id).await?.allowances,
        subscription_ledger: subscriptions::ledger(db, member_id).await?,
        pay_orders: payments::orders_of_member(db, member_id)
            .await?
            .iter()
            .map(OrderView::from)
            .collect(),
        membership_periods: membership::live_periods(db, member_id)
            .await?
            .iter()
            .map(PeriodView::from)
            .collect(),
        coupons: coupons_of(db, member_id).await?,
        shop_orders: crate::service::commerce::shop::orders::all_of_member(db, member_id).await?,
        events: event_data::export(db, member_id).await?,
        points: points_views::summary(db, member_id, crate::domain::time::shanghai_date(now))
            .await?,
        points_ledger: points_views::whole_ledger(db, member_id).await?,
    })
}

async fn coupons_of(
    db: &DatabaseConnection,
    member_id: i32,
) -> Result<Vec<CouponExport>, AppError> {
    let rows = coupons::Entity::find()
        .filter(coupons::Column::MemberId.eq(member_id))
        .order_by_asc(coupons::Column::Id)
        .all(db)
        .await?;
    let titles: std::collections::BTreeMap<i32, String> = coupon_templates::Entity::find()
        .filter(coupon_templates::Column::Id.is_in(rows.iter().map(|c| c.template_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.title))
        .collect();
    Ok(rows
        .into_iter()
        .map(|c| CouponExport {
            title: titles.get(&c.template_id).cloned().unwrap_or_default(),
            id: c.id,
            template_id: c.template_id,
            merchant_id: c.merchant_id,
            status: c.status,
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            claimed_at: c.claimed_at,
            used_at: c.used_at,
        })
        .collect())
}

/// Erases the member and what is theirs, in one transaction, and says how much went.
pub async fn erase(
    db: &DatabaseConnection,
    member_id: i32,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<ErasureCounts, AppError> {
    // Seats held for the member go back to the waitlists before the member goes.
    let event_bookings_cancelled = event_data::release(db, member_id, quiet, now).await?;
    let txn = db.begin().await?;
    // A write first: it takes SQLite's write lock before any read, and fails if already gone.
    let touched = member_rows::Entity::update_many()
        .col_expr(member_rows::Column::UpdatedAt, Expr::value(now))
        .filter(member_rows::Column::Id.eq(member_id))
        .exec(&txn)
        .await?;
    if touched.rows_affected == 0 {
        return Err(members::find(&txn, member_id)
            .await
            .err()
            .unwrap_or_else(|| {
                AppError::Internal(anyhow::anyhow!("member {member_id} vanished mid-erasure"))
            }));
    }
    let owned: Vec<i32> = babies::Entity::find()
        .filter(babies::Column::OwnerMemberId.eq(member_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|b| b.id)
        .collect();
    let deleted = baby_service::delete_records(&txn, &owned).await?;
    let shares_left = baby_caregivers::Entity::delete_many()
        .filter(baby_caregivers::Column::MemberId.eq(member_id))
        .exec(&txn)
        .await?
        .rows_affected;
    let doses_unattributed = doses::Entity::update_many()
        .col_expr(doses::Column::RecordedBy, Expr::value(Option::<i32>::None))
        .filter(doses::Column::RecordedBy.eq(member_id))
        .exec(&txn)
        .await?
        .rows_affected;
    let invites_unattributed = baby_invites::Entity::update_many()
        .col_expr(
            baby_invites::Column::AcceptedBy,
            Expr::value(Option::<i32>::None),
        )
        .filter(baby_invites::Column::AcceptedBy.eq(member_id))
        .exec(&txn)
        .await?
        .rows_affected;
    // Only owners create invites, so every invite this member made went with their babies.
    let privacy_consents = privacy_consents::Entity::delete_many()
        .filter(privacy_consents::Column::MemberId.eq(member_id))
        .exec(&txn)
        .await?
        .rows_affected;
    let subscription_events = subscription_events::Entity::delete_many()
        .filter(subscription_events::Column::MemberId.eq(member_id))
        .exec(&txn)
        .await?
        .rows_affected;
    let subscription_allowances = subscription_allowances::Entity::delete_many()
        .filter(subscription_allowances::Column::MemberId.eq(member_id))
        .exec(&txn)
        .await?
        .rows_affected;
    let pay_orders_unattributed = entity::pay_orders::Entity::update_many()
        .col_expr(
            entity::pay_orders::Column::MemberId,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(
            entity::pay_orders::Column::Openid,
            Expr::value(Option::<String>::None),
        )
        .filter(entity::pay_orders::Column::MemberId.eq(member_id))
        .exec(&txn)
        .await?
        .rows_affected;
    let membership_periods_unattributed = entity::membership_periods::Entity::update_many()
        .col_expr(
            entity::membership_periods::Column::MemberId,
            Expr::value(Option::<i32>::None),
        )
        .filter(entity::membership_periods::Column::MemberId.eq(member_id))
        .exec(&txn)
        .await?
        .rows_affected;
    let shop_orders_anonymised =
        crate::service::commerce::shop::orders::anonymise_member(&txn, member_id).await?;
    let coupon_ids: Vec<i64> = coupons::Entity::find()
        .filter(coupons::Column::MemberId.eq(member_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let coupon_codes = if coupon_ids.is_empty() {
        0
    } else {
        coupon_codes::Entity::delete_many()
            .filter(coupon_codes::Column::CouponId.is_in(coupon_ids))
            .exec(&txn)
            .await?
            .rows_affected
    };
    coupon_member_claims::Entity::delete_many()
        .filter(coupon_member_claims::Column::MemberId.eq(member_id))
        .exec(&txn)
        .await?;
    let coupons_unattributed = coupons::Entity::update_many()
        .col_expr(coupons::Column::MemberId, Expr::value(Option::<i32>::None))
        .filter(coupons::Column::MemberId.eq(member_id))
        .exec(&txn)
        .await?
        .rows_affected;
    // Points: the ledger's amounts stay for accounting, cut from the member; the balance, its
    // lots and the check-ins go.
    let points_ledger_unlinked = points_ledger::Entity::update_many()
        .col_expr(
            points_ledger::Column::MemberId,
            Expr::value(Option::<i32>::None),
        )
        .filter(points_ledger::Column::MemberId.eq(member_id))
        .exec(&txn)
        .await?
        .rows_affected;
    let mut points_records = points_lots::Entity::delete_many()
        .filter(points_lots::Column::MemberId.eq(member_id))
        .exec(&txn)
        .await?
        .rows_affected;
    points_records += points_check_ins::Entity::delete_many()
        .filter(points_check_ins::Column::MemberId.eq(member_id))
        .exec(&txn)
        .await?
        .rows_affected;
    points_records += points_accounts::Entity::delete_many()
        .filter(points_accounts::Column::MemberId.eq(member_id))
        .exec(&txn)
        .await?
        .rows_affected;
    let event_rows_unattributed = event_data::unlink(&txn, member_id).await?;
    let members = member_rows::Entity::delete_by_id(member_id)
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    tracing::info!(member = member_id, babies = deleted.babies, "member erased");
    Ok(ErasureCounts {
        members,
        privacy_consents,
        babies: deleted.babies,
        doses: deleted.doses,
        opt_ins: deleted.opt_ins,
        caregiver_links: deleted.caregiver_links + shares_left,
        invites: deleted.invites,
        subscription_events,
        subscription_allowances,
        points_records,
        points_ledger_unlinked,
        doses_unattributed,
        invites_unattributed,
        pay_orders_unattributed,
        membership_periods_unattributed,
        coupons_unattributed,
        coupon_codes,
        shop_orders_anonymised,
        event_bookings_cancelled,
        event_rows_unattributed,
    })
}
