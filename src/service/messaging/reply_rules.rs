//! Keyword reply rules: `exact` and `contains` match text messages and menu CLICK keys,
//! `subscribe` answers a follow, `default` answers text that matched nothing.

use entity::reply_rules;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::error::AppError;
use crate::wechat::reply::Reply;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger<'a> {
    /// Text a parent typed (or WeChat's voice recognition of it), or a menu CLICK key.
    Words(&'a str),
    Subscribe,
}

/// The reply for `trigger`, if a rule gives one. Rules are tried in priority order (lowest
/// first, then oldest); a rule whose stored reply does not parse is logged and skipped.
pub async fn choose<C: ConnectionTrait>(
    db: &C,
    trigger: Trigger<'_>,
) -> Result<Option<Reply>, AppError> {
    let kinds: &[&str] = match trigger {
        Trigger::Words(_) => &["exact", "contains", "default"],
        Trigger::Subscribe => &["subscribe"],
    };
    let rules = reply_rules::Entity::find()
        .filter(reply_rules::Column::Enabled.eq(true))
        .filter(reply_rules::Column::MatchKind.is_in(kinds.iter().copied()))
        .order_by_asc(reply_rules::Column::Priority)
        .order_by_asc(reply_rules::Column::Id)
        .all(db)
        .await?;
    let rule = match trigger {
        Trigger::Subscribe => rules.first(),
        Trigger::Words(words) => {
            let words = words.trim();
            rules
                .iter()
                .find(|r| matches(r, words))
                .or_else(|| rules.iter().find(|r| r.match_kind == "default"))
        }
    };
    let Some(rule) = rule else { return Ok(None) };
    match serde_json::from_str::<Reply>(&rule.reply) {
        Ok(reply) => Ok(Some(reply)),
        Err(e) => {
            tracing::error!(rule_id = rule.id, error = %e, "reply rule holds an unreadable reply; skipped");
            Ok(None)
        }
    }
}

fn matches(rule: &reply_rules::Model, words: &str) -> bool {
    let pattern = rule.pattern.trim();
    if pattern.is_empty() {
        return false;
    }
    match rule.match_kind.as_str() {
        "exact" => words.eq_ignore_ascii_case(pattern),
        "contains" => words.to_lowercase().contains(&pattern.to_lowercase()),
        _ => false,
    }
}
