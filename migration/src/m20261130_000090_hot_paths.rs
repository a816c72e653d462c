//! The hot paths: a version row that every change of `reply_rules` bumps (by trigger, so that an
//! edit from any instance or tool is seen), which lets instances hold the rules in memory and
//! check one small row per batch of callback deliveries; and a lease row per singleton job, so
//! that one instance plans the day while all of them send.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReplyRulesVersion {
    Table,
    Id,
    Version,
}

#[derive(DeriveIden)]
enum JobLeases {
    Table,
    Name,
    Holder,
    ExpiresAt,
}

const SQLITE_TRIGGERS: [&str; 3] = [
    "CREATE TRIGGER reply_rules_version_insert AFTER INSERT ON reply_rules BEGIN UPDATE reply_rules_version SET version = version + 1 WHERE id = 1; END",
    "CREATE TRIGGER reply_rules_version_update AFTER UPDATE ON reply_rules BEGIN UPDATE reply_rules_version SET version = version + 1 WHERE id = 1; END",
    "CREATE TRIGGER reply_rules_version_delete AFTER DELETE ON reply_rules BEGIN UPDATE reply_rules_version SET version = version + 1 WHERE id = 1; END",
];

const POSTGRES_TRIGGER: [&str; 2] = [
    "CREATE FUNCTION reply_rules_version_bump() RETURNS trigger AS $$ BEGIN UPDATE reply_rules_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER reply_rules_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON reply_rules FOR EACH STATEMENT EXECUTE FUNCTION reply_rules_version_bump()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReplyRulesVersion::Table)
                    .col(integer(ReplyRulesVersion::Id).primary_key())
                    .col(big_integer(ReplyRulesVersion::Version).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ReplyRulesVersion::Table)
                    .columns([ReplyRulesVersion::Id, ReplyRulesVersion::Version])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let statements: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &POSTGRES_TRIGGER,
            _ => &SQLITE_TRIGGERS,
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(JobLeases::Table)
                    .col(string_len(JobLeases::Name, 64).primary_key())
                    .col(string_len(JobLeases::Holder, 128))
                    .col(timestamp_with_time_zone(JobLeases::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS reply_rules_version_bump ON reply_rules",
                )
                .await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS reply_rules_version_bump()")
                    .await?;
            }
            _ => {
                for kind in ["insert", "update", "delete"] {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER IF EXISTS reply_rules_version_{kind}"
                    ))
                    .await?;
                }
            }
        }
        for table in [
            JobLeases::Table.into_iden(),
            ReplyRulesVersion::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
