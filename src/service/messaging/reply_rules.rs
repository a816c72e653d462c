//! Keyword reply rules: `exact` and `contains` match text messages and menu CLICK keys,
//! `subscribe` answers a follow, `default` answers text that matched nothing.
//!
//! The callback door holds the rules in memory ([`RuleCache`]): before each batch of deliveries it
//! reads one row, `reply_rules_version`, which database triggers bump on every insert, update and
//! delete of `reply_rules`, whoever makes it. An edit made on any instance (or by hand) is
//! therefore seen by every instance from its next batch on, and no delivery reads the rules
//! themselves unless they changed.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use entity::{reply_rules, reply_rules_version};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::error::AppError;
use crate::wechat::reply::Reply;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger<'a> {
    /// Text a parent typed (or WeChat's voice recognition of it), or a menu CLICK key.
    Words(&'a str),
    Subscribe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exact,
    Contains,
    Default,
    Subscribe,
}

#[derive(Debug, Clone)]
struct Rule {
    id: i32,
    kind: Kind,
    /// Trimmed; lower-cased for `contains`.
    pattern: String,
    /// None when the stored reply does not parse (logged when the rules are loaded).
    reply: Option<Reply>,
}

/// The enabled rules in priority order (lowest first, then oldest).
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Reads the enabled rules.
    pub async fn load<C: ConnectionTrait>(db: &C) -> Result<Self, AppError> {
        let rows = reply_rules::Entity::find()
            .filter(reply_rules::Column::Enabled.eq(true))
            .order_by_asc(reply_rules::Column::Priority)
            .order_by_asc(reply_rules::Column::Id)
            .all(db)
            .await?;
        let rules = rows
            .into_iter()
            .filter_map(|row| {
                let kind = match row.match_kind.as_str() {
                    "exact" => Kind::Exact,
                    "contains" => Kind::Contains,
                    "default" => Kind::Default,
                    "subscribe" => Kind::Subscribe,
                    _ => return None,
                };
                let pattern = row.pattern.trim();
                let pattern = if kind == Kind::Contains {
                    pattern.to_lowercase()
                } else {
                    pattern.to_owned()
                };
                let reply = match serde_json::from_str::<Reply>(&row.reply) {
                    Ok(reply) => Some(reply),
                    Err(e) => {
                        tracing::error!(rule_id = row.id, error = %e, "reply rule holds an unreadable reply; it answers nothing");
                        None
                    }
                };
                Some(Rule {
                    id: row.id,
                    kind,
                    pattern,
                    reply,
                })
            })
            .collect();
        Ok(Self { rules })
    }

    /// The reply for `trigger`, if a rule gives one. A rule whose stored reply does not parse
    /// answers nothing.
    pub fn choose(&self, trigger: Trigger<'_>) -> Option<&Reply> {
        let rule = match trigger {
            Trigger::Subscribe => self.rules.iter().find(|r| r.kind == Kind::Subscribe),
            Trigger::Words(words) => {
                let words = words.trim();
                let mut lower: Option<String> = None;
                self.rules
                    .iter()
                    .find(|r| match r.kind {
                        Kind::Exact => {
                            !r.pattern.is_empty() && words.eq_ignore_ascii_case(&r.pattern)
                        }
                        Kind::Contains => {
                            !r.pattern.is_empty()
                                && lower
                                    .get_or_insert_with(|| words.to_lowercase())
                                    .contains(&r.pattern)
                        }
                        _ => false,
                    })
                    .or_else(|| self.rules.iter().find(|r| r.kind == Kind::Default))
            }
        }?;
        if rule.reply.is_none() {
            tracing::debug!(rule_id = rule.id, "matched a rule with an unreadable reply");
        }
        rule.reply.as_ref()
    }
}

/// The rules of one process, reloaded when `reply_rules_version` moves. Shared by the batches the
/// writer has in flight at once.
#[derive(Debug, Default)]
pub struct RuleCache {
    held: Mutex<Option<(i64, Arc<RuleSet>)>>,
}

impl RuleCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The rules held and their version, without asking the database (none before the first
    /// [`RuleCache::current`]). For a statement that checks the version itself ([`VERSION_SQL`]).
    pub fn held_now(&self) -> Option<(i64, Arc<RuleSet>)> {
        self.held().clone()
    }

    /// The current rules and their version: one small read of the version row, and a reload
    /// only if it moved.
    pub async fn current<C: ConnectionTrait>(
        &self,
        db: &C,
    ) -> Result<(i64, Arc<RuleSet>), AppError> {
        let version = version(db).await?;
        let cached = self
            .held()
            .as_ref()
            .filter(|(held, _)| *held == version)
            .map(|(_, rules)| rules.clone());
        if let Some(rules) = cached {
            return Ok((version, rules));
        }
        let rules = Arc::new(RuleSet::load(db).await?);
        let mut held = self.held();
        // A batch that read an older version than another's must not put its rules back.
        if held.as_ref().is_none_or(|(newest, _)| *newest <= version) {
            *held = Some((version, rules.clone()));
        }
        Ok((version, rules))
    }

    fn held(&self) -> MutexGuard<'_, Option<(i64, Arc<RuleSet>)>> {
        // The guarded value is replaced whole, never left half-written by a panic.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The rules' current version as an SQL expression (0 before the first edit), for a statement
/// that checks in passing that the rules it was prepared with are still current.
pub const VERSION_SQL: &str = "COALESCE((SELECT version FROM reply_rules_version WHERE id = 1), 0)";

/// The rules' current version.
pub async fn version<C: ConnectionTrait>(db: &C) -> Result<i64, AppError> {
    Ok(reply_rules_version::Entity::find_by_id(1)
        .one(db)
        .await?
        .map_or(0, |row| row.version))
}
