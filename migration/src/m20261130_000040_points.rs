//! Points and growth: one account per member (balance and growth), the append-only ledger, the
//! credit lots the ledger's credits open (what is left of each and when it expires), check-ins
//! (unique per member and Asia/Shanghai day), and the operators' data (earning rules and levels
//! as JSON documents, campaigns).
//!
//! Lots are their own table, not a column of the ledger: the ledger stays append-only (the
//! database refuses UPDATE and DELETE of its amounts), while a lot's `remaining` moves with each
//! spend and expiry. A lot's id is the id of the credit row that opened it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PointsAccounts {
    Table,
    MemberId,
    Balance,
    Growth,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PointsLedger {
    Table,
    Id,
    MemberId,
    Delta,
    BalanceAfter,
    GrowthDelta,
    GrowthAfter,
    Reason,
    Reference,
    IdempotencyKey,
    Campaign,
    ExpiresOn,
    Day,
    Note,
    OperatorId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PointsLots {
    Table,
    Id,
    MemberId,
    Points,
    Remaining,
    ExpiresOn,
}

#[derive(DeriveIden)]
enum PointsCheckIns {
    Table,
    Id,
    MemberId,
    Day,
    StreakDay,
    Points,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PointsSettings {
    Table,
    Name,
    Document,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum PointsCampaigns {
    Table,
    Id,
    Slug,
    Definition,
    StartsOn,
    EndsOn,
    EndedAt,
    CreatedAt,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PointsAccounts::Table)
                    .col(integer(PointsAccounts::MemberId).primary_key())
                    .col(big_integer(PointsAccounts::Balance).default(0))
                    .col(big_integer(PointsAccounts::Growth).default(0))
                    .col(timestamp_with_time_zone(PointsAccounts::UpdatedAt))
                    .check(Expr::col(PointsAccounts::Balance).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PointsAccounts::Table, PointsAccounts::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;

        // No foreign key on member_id: erasure keeps the amounts and cuts the link (NULL).
        manager
            .create_table(
                Table::create()
                    .table(PointsLedger::Table)
                    .col(big_integer(PointsLedger::Id).auto_increment().primary_key())
                    .col(integer_null(PointsLedger::MemberId))
                    .col(big_integer(PointsLedger::Delta))
                    .col(big_integer(PointsLedger::BalanceAfter))
                    .col(big_integer(PointsLedger::GrowthDelta).default(0))
                    .col(big_integer(PointsLedger::GrowthAfter))
                    .col(string_len(PointsLedger::Reason, 32))
                    .col(string_len_null(PointsLedger::Reference, 64))
                    // The longest: `spend:` + a 64-character purpose + `:` + a 64-character reference.
                    .col(string_len(PointsLedger::IdempotencyKey, 160))
                    .col(string_len_null(PointsLedger::Campaign, 64))
                    .col(date_null(PointsLedger::ExpiresOn))
                    .col(date(PointsLedger::Day))
                    .col(string_len_null(PointsLedger::Note, 200))
                    .col(integer_null(PointsLedger::OperatorId))
                    .col(timestamp_with_time_zone(PointsLedger::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_points_ledger_member_key")
                    .table(PointsLedger::Table)
                    .col(PointsLedger::MemberId)
                    .col(PointsLedger::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_points_ledger_member_reason_day")
                    .table(PointsLedger::Table)
                    .col(PointsLedger::MemberId)
                    .col(PointsLedger::Reason)
                    .col(PointsLedger::Day)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PointsLots::Table)
                    .col(big_integer(PointsLots::Id).primary_key())
                    .col(integer(PointsLots::MemberId))
                    .col(big_integer(PointsLots::Points))
                    .col(big_integer(PointsLots::Remaining))
                    .col(date(PointsLots::ExpiresOn))
                    .check(Expr::col(PointsLots::Remaining).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PointsLots::Table, PointsLots::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_points_lots_member_expires")
                    .table(PointsLots::Table)
                    .col(PointsLots::MemberId)
                    .col(PointsLots::ExpiresOn)
                    .to_owned(),
            )
            .await?;
        // The expiry job reads only open lots: a partial index keeps its cost to them.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_points_lots_open ON points_lots (expires_on) WHERE remaining > 0",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PointsCheckIns::Table)
                    .col(
                        big_integer(PointsCheckIns::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(integer(PointsCheckIns::MemberId))
                    .col(date(PointsCheckIns::Day))
                    .col(integer(PointsCheckIns::StreakDay))
                    .col(big_integer(PointsCheckIns::Points))
                    .col(timestamp_with_time_zone(PointsCheckIns::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PointsCheckIns::Table, PointsCheckIns::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_points_check_ins_member_day")
                    .table(PointsCheckIns::Table)
                    .col(PointsCheckIns::MemberId)
                    .col(PointsCheckIns::Day)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PointsSettings::Table)
                    .col(string_len(PointsSettings::Name, 32).primary_key())
                    .col(text(PointsSettings::Document))
                    .col(timestamp_with_time_zone(PointsSettings::UpdatedAt))
                    .col(integer_null(PointsSettings::UpdatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PointsCampaigns::Table)
                    .col(pk_auto(PointsCampaigns::Id))
                    .col(string_len_uniq(PointsCampaigns::Slug, 64))
                    .col(text(PointsCampaigns::Definition))
                    .col(date(PointsCampaigns::StartsOn))
                    .col(date_null(PointsCampaigns::EndsOn))
                    .col(timestamp_with_time_zone_null(PointsCampaigns::EndedAt))
                    .col(timestamp_with_time_zone(PointsCampaigns::CreatedAt))
                    .col(integer_null(PointsCampaigns::CreatedBy))
                    .to_owned(),
            )
            .await?;
        forbid_ledger_changes(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS points_ledger_append_only() CASCADE")
                .await?;
        }
        for table in [
            PointsCampaigns::Table.into_iden(),
            PointsSettings::Table.into_iden(),
            PointsCheckIns::Table.into_iden(),
            PointsLots::Table.into_iden(),
            PointsLedger::Table.into_iden(),
            PointsAccounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The ledger is append-only in the database: no DELETE, and no UPDATE except erasure's, which
/// only cuts the link to the member (member_id to NULL) and touches nothing else.
async fn forbid_ledger_changes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DatabaseBackend::Postgres => {
            db.execute_unprepared(
                "CREATE FUNCTION points_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN \
                 IF TG_OP = 'UPDATE' AND NEW.member_id IS NULL \
                    AND (NEW.id, NEW.delta, NEW.balance_after, NEW.growth_delta, NEW.growth_after, \
                         NEW.reason, NEW.idempotency_key, NEW.day, NEW.created_at) \
                    IS NOT DISTINCT FROM \
                        (OLD.id, OLD.delta, OLD.balance_after, OLD.growth_delta, OLD.growth_after, \
                         OLD.reason, OLD.idempotency_key, OLD.day, OLD.created_at) \
                 THEN RETURN NEW; END IF; \
                 RAISE EXCEPTION 'points_ledger is append-only'; END $$",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER points_ledger_append_only BEFORE UPDATE OR DELETE ON points_ledger \
                 FOR EACH ROW EXECUTE FUNCTION points_ledger_append_only()",
            )
            .await?;
        }
        _ => {
            db.execute_unprepared(
                "CREATE TRIGGER points_ledger_no_delete BEFORE DELETE ON points_ledger \
                 BEGIN SELECT RAISE(ABORT, 'points_ledger is append-only'); END",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER points_ledger_no_update BEFORE UPDATE ON points_ledger \
                 WHEN NEW.member_id IS NOT NULL OR NEW.id IS NOT OLD.id \
                   OR NEW.delta IS NOT OLD.delta OR NEW.balance_after IS NOT OLD.balance_after \
                   OR NEW.growth_delta IS NOT OLD.growth_delta \
                   OR NEW.growth_after IS NOT OLD.growth_after OR NEW.reason IS NOT OLD.reason \
                   OR NEW.idempotency_key IS NOT OLD.idempotency_key OR NEW.day IS NOT OLD.day \
                   OR NEW.created_at IS NOT OLD.created_at \
                 BEGIN SELECT RAISE(ABORT, 'points_ledger is append-only'); END",
            )
            .await?;
        }
    }
    Ok(())
}
