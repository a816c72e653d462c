//! Callback dedup keys put the part that grows with time first: `msg:{MsgId}:{openid}`,
//! `event:{CreateTime}:{openid}:{event}`, `other:{CreateTime}:{openid}:{type}` (they were
//! `msg:{openid}:{MsgId}` and `event:{openid}:{CreateTime}:{event}`). New keys then append at the
//! right edge of the unique index, so a batch of deliveries dirties a few index pages instead of
//! one per sender. Stored keys are rewritten so that a redelivery of a message taken before the
//! upgrade still finds its first reply.
//!
//! The rewrite swaps the first two fields after the prefix; openids, MsgIds and CreateTimes hold
//! no colon, so swapping again restores the old keys: `down` is the same statement.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `msg:a:b` becomes `msg:b:a`; the rest of a key after its second field stays as it is.
const POSTGRES: &str = r"
UPDATE inbound_messages SET dedup_key = CASE
    WHEN dedup_key LIKE 'msg:%' THEN regexp_replace(dedup_key, '^msg:([^:]*):(.*)$', 'msg:\2:\1')
    ELSE regexp_replace(dedup_key, '^(event|other):([^:]*):([^:]*):', '\1:\3:\2:')
END
WHERE dedup_key ~ '^msg:[^:]*:' OR dedup_key ~ '^(event|other):[^:]*:[^:]*:'";

/// The same with SQLite's substr/instr: `msg:` and `event:`/`other:` are 4 and 6 characters.
const SQLITE: &str = r"
UPDATE inbound_messages SET dedup_key = CASE
    WHEN dedup_key LIKE 'msg:%' THEN
        'msg:' || substr(dedup_key, 5 + instr(substr(dedup_key, 5), ':'))
        || ':' || substr(dedup_key, 5, instr(substr(dedup_key, 5), ':') - 1)
    ELSE
        substr(dedup_key, 1, 6)
        || substr(dedup_key, 7 + instr(substr(dedup_key, 7), ':'),
                  instr(substr(dedup_key, 7 + instr(substr(dedup_key, 7), ':')), ':') - 1)
        || ':' || substr(dedup_key, 7, instr(substr(dedup_key, 7), ':') - 1)
        || ':' || substr(dedup_key, 7 + instr(substr(dedup_key, 7), ':')
                  + instr(substr(dedup_key, 7 + instr(substr(dedup_key, 7), ':')), ':'))
END
WHERE (dedup_key LIKE 'msg:%' AND instr(substr(dedup_key, 5), ':') > 0)
   OR ((dedup_key LIKE 'event:%' OR dedup_key LIKE 'other:%')
       AND instr(substr(dedup_key, 7), ':') > 0
       AND instr(substr(dedup_key, 7 + instr(substr(dedup_key, 7), ':')), ':') > 0)";

async fn swap_leading_fields(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let statement = match manager.get_database_backend() {
        DatabaseBackend::Postgres => POSTGRES,
        _ => SQLITE,
    };
    manager
        .get_connection()
        .execute_unprepared(statement)
        .await
        .map(|_| ())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        swap_leading_fields(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        swap_leading_fields(manager).await
    }
}
