//! The sender: claims due outbox rows, picks each one's channel, sends it through WeChat at the
//! configured rate, and records the outcome. One batch at a time ([`Sender::batch`]), or until
//! nothing is due ([`Sender::drain`]); the worker's loop is `crate::jobs::push`.
//!
//! Exactly-once, as far as WeChat allows: a row is sent only by the sender holding its lease,
//! and the lease is renewed (guarded) just before the send; the outcome is written right after.
//! A crash between WeChat's answer and that write leaves the row to be sent again after the
//! lease ends: at most `in_flight` such rows per sender process (`BABYVAX_PUSH_SEND_IN_FLIGHT`,
//! default 1), since a sender has at most that many sends at WeChat at once.
//!
//! Commits: the claim returns the rows; the recipients are read once for the batch. Rows whose
//! outcome needs no send and spends no allowance (undeliverable, suppressed by preferences,
//! held for quiet hours, channel paused) are decided from that read and written first, one
//! statement per distinct outcome, guarded by the claim token and by the row still being
//! pending (a row cancelled or claimed again meanwhile is left alone). The other rows go
//! `in_flight` at a time (a window): one statement records the previous window's outcomes and
//! renews this window's leases (guarded: still ours, still pending), so the previous outcomes
//! are durable before any row of this window can be sent ([`outbox::record_and_renew`]: one
//! autocommit statement with data-modifying CTEs on PostgreSQL, a transaction on SQLite); the
//! window's sends then run concurrently, and each failure settles only its own row; the last
//! window's outcomes are written at the batch's end. Each renewed row is decided again as it is
//! now (a reminder narrowed since the claim) before an allowance is spent or anything is sent.
//! Template messages carry the dedup key as `client_msg_id`, so WeChat itself drops the second
//! copy when it comes within its 10-minute window.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use entity::{followers, members, push_outbox, subscription_allowances};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};
use serde::Serialize;

use super::preferences;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::domain::push::templates::{Class, TemplateSpec, fill, render};
use crate::domain::push::{self, Channel, parse_kind};
use crate::error::AppError;
use crate::service::messaging::outbox::{self, Outcome};
use crate::service::messaging::subscriptions;
use crate::state::AppState;
use crate::wechat::api::{
    ApiError, MiniProgram, MiniProgramPage, OfficialAccount, RetryClass, SubscribeField,
    SubscribeMessage, TemplateField, TemplateMessage,
};

#[derive(Debug, Clone, Default, Serialize)]
pub struct SendReport {
    pub claimed: u64,
    pub sent_template: u64,
    pub sent_subscribe: u64,
    pub retried: u64,
    pub failed: u64,
    pub undeliverable: u64,
    pub suppressed: u64,
    pub lost: u64,
}

impl SendReport {
    fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Sent { channel, .. } if *channel == "template" => self.sent_template += 1,
            Outcome::Sent { .. } => self.sent_subscribe += 1,
            Outcome::Retry { .. } => self.retried += 1,
            Outcome::Failed { .. } => self.failed += 1,
            Outcome::Undeliverable(_) => self.undeliverable += 1,
            Outcome::Suppressed(_) => self.suppressed += 1,
            Outcome::Lost => self.lost += 1,
        }
    }

    pub fn sent(&self) -> u64 {
        self.sent_template + self.sent_subscribe
    }
}

struct Recipients {
    members: HashMap<i32, members::Model>,
    followers: HashMap<i32, followers::Model>,
    prefs: HashMap<i32, crate::domain::push::Preferences>,
    /// (member, template) with a subscribe allowance left when the batch was claimed: only
    /// those are worth the transaction that spends one (it stays guarded).
    allowances: HashSet<(i32, String)>,
}

/// What [`Sender::prepare`] made of a renewed row.
enum Prepared {
    /// Nothing to send; the outcome to write.
    Done(Outcome),
    Send(Delivery),
}

/// A message ready for WeChat.
enum Delivery {
    Template(TemplateMessage),
    Subscribe(SubscribeMessage),
}

/// What [`Sender::decide`] made of a row.
enum Route {
    /// Nothing to send (undeliverable, suppressed, held for quiet hours, channel paused ...).
    Settled(Outcome),
    Send(Channel),
    /// Spend one of the member's subscribe allowances for the template, then send.
    Spend {
        member_id: i32,
        template_id: String,
    },
}

struct Decision<'a> {
    route: Route,
    /// Our template fields from the payload.
    fields: BTreeMap<String, String>,
    member: Option<&'a members::Model>,
    follower: Option<&'a followers::Model>,
    /// The template to send with.
    spec: Option<&'a TemplateSpec>,
}

pub struct Sender {
    db: DatabaseConnection,
    settings: Arc<Settings>,
    clock: SharedClock,
    oa: Option<OfficialAccount>,
    mp: Option<MiniProgram>,
    instance: String,
    seq: std::sync::atomic::AtomicU64,
    /// Channel → paused until (WeChat quota errors pause a channel instead of burning retries).
    pauses: Mutex<HashMap<&'static str, DateTime<Utc>>>,
}

/// Spaces sends at the configured rate (across the batches of one loop).
pub struct Pacer {
    period: StdDuration,
    next: tokio::time::Instant,
}

impl Pacer {
    pub fn new(rate_per_sec: f64) -> Pacer {
        Pacer {
            period: StdDuration::from_secs_f64(1.0 / rate_per_sec.max(0.001)),
            next: tokio::time::Instant::now(),
        }
    }

    async fn wait(&mut self) {
        let now = tokio::time::Instant::now();
        if self.next > now {
            tokio::time::sleep_until(self.next).await;
        } else {
            // Idle time does not build up a burst.
            self.next = now;
        }
        self.next += self.period;
    }
}

impl Sender {
    /// A sender using the app's database, clock and WeChat clients (one token manager per app
    /// and process).
    pub fn new(state: &AppState) -> Sender {
        let instance = format!(
            "{}-{}-{:x}",
            std::process::id(),
            Utc::now().timestamp_micros(),
            rand::random::<u32>()
        );
        Sender {
            db: state.db.clone(),
            settings: state.settings.clone(),
            clock: state.clock.clone(),
            oa: state.official_account.clone(),
            mp: state.mini_program.clone(),
            instance,
            seq: std::sync::atomic::AtomicU64::new(0),
            pauses: Mutex::new(HashMap::new()),
        }
    }

    /// A pacer at the configured rate.
    pub fn pacer(&self) -> Pacer {
        Pacer::new(self.settings.push.send_rate_per_sec)
    }

    /// Sends what is due now, batch after batch, until nothing due is left (rows retried for
    /// later stay). For `push run`, tests and the benchmark.
    pub async fn drain(&self) -> Result<SendReport, AppError> {
        let mut report = SendReport::default();
        let mut pacer = self.pacer();
        while self.batch(&mut pacer, &mut report).await? > 0 {}
        Ok(report)
    }

    /// Claims one batch and sends it; answers how many rows were claimed.
    pub async fn batch(&self, pacer: &mut Pacer, report: &mut SendReport) -> Result<u64, AppError> {
        let now = self.clock.now();
        let token = format!(
            "{}#{}",
            self.instance,
            self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let rows = outbox::claim(
            &self.db,
            &token,
            now,
            now + self.settings.push.lease,
            self.settings.push.batch_size,
        )
        .await?;
        let claimed = rows.len() as u64;
        report.claimed += claimed;
        let recipients = self.recipients(&rows).await?;
        // What needs no send (and spends no allowance) is decided for the whole batch from
        // what was read at the claim, and written first: one statement per distinct outcome.
        let now = self.clock.now();
        let mut settled: Vec<(Outcome, Vec<i64>)> = Vec::new();
        let mut to_send = Vec::new();
        for row in rows {
            match self.decide(&row, &recipients, now).route {
                Route::Settled(outcome) => match settled.iter_mut().find(|(o, _)| *o == outcome) {
                    Some((_, ids)) => ids.push(row.id),
                    None => settled.push((outcome, vec![row.id])),
                },
                Route::Send(_) | Route::Spend { .. } => to_send.push(row),
            }
        }
        for (outcome, ids) in &settled {
            let written = outbox::record_many(&self.db, ids, &token, outcome, now).await?;
            // A row cancelled or re-claimed since the claim is not ours to record.
            for _ in 0..written.len() {
                report.add(outcome);
            }
            for _ in written.len()..ids.len() {
                report.add(&Outcome::Lost);
            }
        }
        // The rest `in_flight` rows at a time: their leases renewed together by the statement
        // that writes the previous window's outcomes, then sent concurrently; the last
        // window's outcomes are written at the end.
        let window = usize::try_from(self.settings.push.in_flight)
            .unwrap_or(1)
            .max(1);
        let mut unrecorded: Vec<(i64, Outcome)> = Vec::new();
        for chunk in to_send.chunks(window) {
            let ids: Vec<i64> = chunk.iter().map(|r| r.id).collect();
            let now = self.clock.now();
            // Still ours, and still pending (recording the doses cancels their reminders):
            // checked before an allowance is spent or anything is sent. The rows as they are
            // now: a reminder may have been narrowed since the claim.
            let renewed = outbox::record_and_renew(
                &self.db,
                &unrecorded,
                &ids,
                &token,
                now,
                now + self.settings.push.lease,
            )
            .await?;
            unrecorded.clear();
            for _ in renewed.len()..ids.len() {
                report.add(&Outcome::Lost);
            }
            let mut deliveries = Vec::with_capacity(renewed.len());
            for row in renewed {
                match self.prepare(&row, &token, &recipients, now).await? {
                    Prepared::Done(outcome) => {
                        report.add(&outcome);
                        unrecorded.push((row.id, outcome));
                    }
                    Prepared::Send(delivery) => {
                        pacer.wait().await;
                        deliveries.push((row, delivery));
                    }
                }
            }
            let outcomes = futures_util::future::join_all(
                deliveries
                    .iter()
                    .map(|(row, delivery)| self.deliver(row, delivery)),
            )
            .await;
            for ((row, _), outcome) in deliveries.iter().zip(outcomes) {
                report.add(&outcome);
                unrecorded.push((row.id, outcome));
            }
        }
        let now = self.clock.now();
        outbox::record_and_renew(&self.db, &unrecorded, &[], &token, now, now).await?;
        Ok(claimed)
    }

    fn paused_until(&self, channel: &'static str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let pauses = self.pauses.lock().unwrap_or_else(PoisonError::into_inner);
        pauses.get(channel).copied().filter(|until| *until > now)
    }

    fn pause(&self, channel: &'static str, until: DateTime<Utc>) {
        tracing::warn!(channel, %until, "WeChat quota reached: channel paused");
        self.pauses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(channel, until);
    }

    /// Members, their followers, preferences and allowances for a claimed batch, in four
    /// queries (read when the batch is claimed: a preference changed during the batch's seconds
    /// applies to the next one).
    async fn recipients(&self, rows: &[push_outbox::Model]) -> Result<Recipients, AppError> {
        // A member with several babies has several rows: each id once.
        let mut member_ids: Vec<i32> = rows.iter().filter_map(|r| r.member_id).collect();
        member_ids.sort_unstable();
        member_ids.dedup();
        let members: HashMap<i32, members::Model> = if member_ids.is_empty() {
            HashMap::new()
        } else {
            members::Entity::find()
                .filter(members::Column::Id.is_in(member_ids.clone()))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|m| (m.id, m))
                .collect()
        };
        let mut follower_ids: Vec<i32> = rows
            .iter()
            .filter_map(|r| r.follower_id)
            .chain(members.values().filter_map(|m| m.follower_id))
            .collect();
        follower_ids.sort_unstable();
        follower_ids.dedup();
        let followers: HashMap<i32, followers::Model> = if follower_ids.is_empty() {
            HashMap::new()
        } else {
            followers::Entity::find()
                .filter(followers::Column::Id.is_in(follower_ids))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|f| (f.id, f))
                .collect()
        };
        let prefs = preferences::get_many(&self.db, &member_ids, self.settings.push.quiet).await?;
        let allowances = if member_ids.is_empty() {
            HashSet::new()
        } else {
            subscription_allowances::Entity::find()
                .filter(subscription_allowances::Column::MemberId.is_in(member_ids))
                .filter(subscription_allowances::Column::Remaining.gt(0))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|a| (a.member_id, a.template_id))
                .collect()
        };
        Ok(Recipients {
            members,
            followers,
            prefs,
            allowances,
        })
    }

    /// Where `row` goes, from the row and the recipients read at the claim; spends and sends
    /// nothing.
    fn decide<'a>(
        &'a self,
        row: &push_outbox::Model,
        recipients: &'a Recipients,
        now: DateTime<Utc>,
    ) -> Decision<'a> {
        let settled = |outcome| Decision {
            route: Route::Settled(outcome),
            fields: BTreeMap::new(),
            member: None,
            follower: None,
            spec: None,
        };
        let Some(kind) = parse_kind(&row.kind) else {
            return settled(Outcome::Failed {
                code: None,
                reason: format!("unknown kind {}", row.kind),
            });
        };
        let fields: BTreeMap<String, String> =
            serde_json::from_str::<serde_json::Value>(&row.payload)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .map(|o| {
                    o.into_iter()
                        .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                        .collect()
                })
                .unwrap_or_default();
        let class = Class::of(kind, fields.get("campaign_kind").map(String::as_str));
        let templates = self.settings.push.templates.for_class(class);

        let member = row.member_id.and_then(|id| recipients.members.get(&id));
        if let Some(prefs) = member.and_then(|m| recipients.prefs.get(&m.id)) {
            if !prefs.allows(kind) {
                return settled(Outcome::Suppressed("preferences".into()));
            }
            // Retries, quota pauses and campaigns can come due at night too.
            let quiet_until = prefs.quiet.not_before(now);
            if quiet_until > now {
                return settled(Outcome::Retry {
                    at: quiet_until,
                    error: "quiet hours".into(),
                    count_attempt: false,
                });
            }
        }
        let follower = row
            .follower_id
            .or_else(|| member.and_then(|m| m.follower_id))
            .and_then(|id| recipients.followers.get(&id));
        let follows = follower.as_ref().is_some_and(|f| f.subscribed);
        let oa_template = templates.oa.as_ref().filter(|_| self.oa.is_some());
        let mp_template = templates.mp.as_ref().filter(|_| self.mp.is_some());

        // A subscribe allowance already spent on this row is used, whatever else changed.
        let channel = if row.allowance_taken {
            Channel::Subscribe
        } else {
            let want_template = follows && oa_template.is_some();
            let allowance = match (&member, mp_template) {
                (Some(m), Some(spec)) if !want_template => {
                    if self.paused_until("subscribe", now).is_some() {
                        // Keep the allowance for when the pause ends.
                        true
                    } else if recipients
                        .allowances
                        .contains(&(m.id, spec.template_id.clone()))
                    {
                        // Spent (guarded) after the lease is renewed.
                        return Decision {
                            route: Route::Spend {
                                member_id: m.id,
                                template_id: spec.template_id.clone(),
                            },
                            fields,
                            member,
                            follower,
                            spec: Some(spec),
                        };
                    } else {
                        // None left at the claim: nothing to spend.
                        false
                    }
                }
                _ => false,
            };
            push::choose_channel(follows, oa_template.is_some(), allowance)
        };
        let channel_name = channel.as_str();
        if channel == Channel::None {
            let reason = if member.is_none() && follower.is_none() {
                "no recipient"
            } else {
                "no channel: not following and no subscribe allowance"
            };
            return settled(Outcome::Undeliverable(reason.into()));
        }
        if let Some(until) = self.paused_until(channel_name, now) {
            return settled(Outcome::Retry {
                at: until,
                error: format!("{channel_name} paused by a WeChat quota"),
                count_attempt: false,
            });
        }
        let spec = match channel {
            Channel::Template => {
                let (Some(_), Some(spec), Some(_)) = (&self.oa, oa_template, &follower) else {
                    return settled(Outcome::Undeliverable("no template channel".into()));
                };
                spec
            }
            Channel::Subscribe => {
                let (Some(_), Some(_)) = (&self.mp, &member) else {
                    return settled(Outcome::Undeliverable("no subscribe channel".into()));
                };
                let Some(spec) = templates.mp.as_ref() else {
                    return settled(Outcome::Undeliverable("no subscribe template".into()));
                };
                spec
            }
            Channel::None => return settled(Outcome::Undeliverable("no channel".into())),
        };
        Decision {
            route: Route::Send(channel),
            fields,
            member,
            follower,
            spec: Some(spec),
        }
    }

    /// Decides a renewed row again as it is now, spends its allowance when it needs one, and
    /// builds its message; sends nothing.
    async fn prepare(
        &self,
        row: &push_outbox::Model,
        token: &str,
        recipients: &Recipients,
        now: DateTime<Utc>,
    ) -> Result<Prepared, AppError> {
        let decision = self.decide(row, recipients, now);
        let channel = match decision.route {
            Route::Settled(outcome) => return Ok(Prepared::Done(outcome)),
            Route::Send(channel) => channel,
            Route::Spend {
                member_id,
                template_id,
            } => {
                // Spent and remembered on the row together, or neither.
                let txn = self.db.begin().await?;
                let taken =
                    subscriptions::consume_allowance(&txn, member_id, &template_id, now).await?;
                if taken && !outbox::mark_allowance_taken(&txn, row.id, token, &template_id).await?
                {
                    return Ok(Prepared::Done(Outcome::Lost));
                }
                txn.commit().await?;
                if !taken {
                    return Ok(Prepared::Done(Outcome::Undeliverable(
                        "no channel: not following and no subscribe allowance".into(),
                    )));
                }
                if let Some(until) = self.paused_until("subscribe", now) {
                    return Ok(Prepared::Done(Outcome::Retry {
                        at: until,
                        error: "subscribe paused by a WeChat quota".into(),
                        count_attempt: false,
                    }));
                }
                Channel::Subscribe
            }
        };
        let fields = &decision.fields;
        let Some(spec) = decision.spec else {
            return Ok(Prepared::Done(Outcome::Undeliverable("no channel".into())));
        };
        Ok(match (channel, decision.follower, decision.member) {
            (Channel::Template, Some(f), _) if self.oa.is_some() => Prepared::Send(
                Delivery::Template(self.template_message(spec, fields, &f.openid, &row.dedup_key)),
            ),
            (Channel::Subscribe, _, Some(m)) if self.mp.is_some() => {
                Prepared::Send(Delivery::Subscribe(SubscribeMessage {
                    touser: m.openid.clone(),
                    template_id: spec.template_id.clone(),
                    page: spec.page.as_ref().map(|p| fill(p, fields)),
                    miniprogram_state: None,
                    lang: Some("zh_CN".into()),
                    data: render(spec, fields, true)
                        .into_iter()
                        .map(|(k, v)| (k, SubscribeField::new(v)))
                        .collect(),
                }))
            }
            // `decide` answers Send only with the channel's client and recipient at hand.
            _ => Prepared::Done(Outcome::Undeliverable("no channel".into())),
        })
    }

    /// Sends one prepared message and answers its outcome (written by the caller).
    async fn deliver(&self, row: &push_outbox::Model, delivery: &Delivery) -> Outcome {
        let (channel, result) = match (delivery, &self.oa, &self.mp) {
            (Delivery::Template(message), Some(oa), _) => (
                Channel::Template,
                oa.send_template(message)
                    .await
                    .map(|msgid| (Some(msgid), &message.template_id, &message.touser)),
            ),
            (Delivery::Subscribe(message), _, Some(mp)) => (
                Channel::Subscribe,
                mp.send_subscribe(message)
                    .await
                    .map(|r| (r.msgid, &message.template_id, &message.touser)),
            ),
            // `prepare` builds a message only for a channel whose client is at hand.
            _ => return Outcome::Undeliverable("no channel".into()),
        };
        match result {
            Ok((msgid, template_id, openid)) => Outcome::Sent {
                channel: channel.as_str(),
                template_id: template_id.clone(),
                openid: openid.clone(),
                msgid,
            },
            Err(e) => self.failure(row, channel.as_str(), &e),
        }
    }

    fn template_message(
        &self,
        spec: &TemplateSpec,
        fields: &BTreeMap<String, String>,
        openid: &str,
        dedup_key: &str,
    ) -> TemplateMessage {
        let miniprogram = match (&self.settings.mp, &spec.page) {
            (Some(mp), Some(page)) => Some(MiniProgramPage {
                appid: mp.appid.clone(),
                pagepath: Some(fill(page, fields)),
            }),
            _ => None,
        };
        TemplateMessage {
            touser: openid.to_owned(),
            template_id: spec.template_id.clone(),
            url: None,
            miniprogram,
            data: render(spec, fields, false)
                .into_iter()
                .map(|(k, v)| (k, TemplateField::new(v)))
                .collect(),
            client_msg_id: Some(dedup_key.chars().take(64).collect()),
        }
    }

    fn failure(&self, row: &push_outbox::Model, channel: &'static str, e: &ApiError) -> Outcome {
        let now = self.clock.now();
        let push = &self.settings.push;
        match e.retry_class() {
            RetryClass::Quota => {
                let until = now + push.quota_pause;
                self.pause(channel, until);
                Outcome::Retry {
                    at: until,
                    error: e.to_string(),
                    count_attempt: false,
                }
            }
            RetryClass::Transient | RetryClass::RefreshToken => {
                let attempts = u32::try_from(row.attempts).unwrap_or(0).saturating_add(1);
                if attempts >= push.max_attempts {
                    return Outcome::Failed {
                        code: e.errcode(),
                        reason: format!("gave up after {attempts} attempts: {e}"),
                    };
                }
                let delay = push::backoff(attempts, push.retry_base, push.retry_max);
                Outcome::Retry {
                    at: now + delay,
                    error: e.to_string(),
                    count_attempt: true,
                }
            }
            RetryClass::Permanent => Outcome::Failed {
                code: e.errcode(),
                reason: match e.errcode() {
                    Some(code) => format!("{}: {e}", push::failure_reason(code)),
                    None => e.to_string(),
                },
            },
        }
    }
}
