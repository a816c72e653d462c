//! The accounts behind the two staff doors: operators (`/admin/v1`) and merchant staff
//! (`/merchant/v1`), the minimal merchants and stores staff belong to (a later migration extends
//! them), login attempts (for lockout) and the append-only audit log of what staff did.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Id,
    Name,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MerchantStores {
    Table,
    Id,
    MerchantId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Operators {
    Table,
    Id,
    Username,
    PasswordHash,
    Role,
    Disabled,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum MerchantStaff {
    Table,
    Id,
    Username,
    PasswordHash,
    MerchantId,
    StoreId,
    Role,
    Disabled,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    Id,
    Door,
    Username,
    ClientAddr,
    Outcome,
    AccountId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    ActorKind,
    ActorId,
    ActorRole,
    Action,
    TargetType,
    TargetId,
    RequestId,
    ClientAddr,
    CreatedAt,
}

/// Room for an IPv6 address in text.
const ADDRESS_LEN: u32 = 45;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Merchants::Table)
                    .col(pk_auto(Merchants::Id))
                    .col(string_len(Merchants::Name, 64))
                    .col(string_len(Merchants::Status, 16).default("active"))
                    .col(timestamp_with_time_zone(Merchants::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MerchantStores::Table)
                    .col(pk_auto(MerchantStores::Id))
                    .col(integer(MerchantStores::MerchantId))
                    .col(string_len(MerchantStores::Name, 64))
                    .col(timestamp_with_time_zone(MerchantStores::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MerchantStores::Table, MerchantStores::MerchantId)
                            .to(Merchants::Table, Merchants::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The target of staff's (merchant_id, store_id) key: a clerk's store is one of their
        // merchant's stores.
        manager
            .create_index(
                Index::create()
                    .name("idx_merchant_stores_merchant_id_id")
                    .table(MerchantStores::Table)
                    .col(MerchantStores::MerchantId)
                    .col(MerchantStores::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Operators::Table)
                    .col(pk_auto(Operators::Id))
                    .col(string_len_uniq(Operators::Username, 32))
                    .col(string_len(Operators::PasswordHash, 255))
                    .col(string_len(Operators::Role, 16))
                    .col(boolean(Operators::Disabled).default(false))
                    .col(timestamp_with_time_zone(Operators::CreatedAt))
                    .col(timestamp_with_time_zone_null(Operators::LastLoginAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MerchantStaff::Table)
                    .col(pk_auto(MerchantStaff::Id))
                    .col(string_len_uniq(MerchantStaff::Username, 32))
                    .col(string_len(MerchantStaff::PasswordHash, 255))
                    .col(integer(MerchantStaff::MerchantId))
                    .col(integer_null(MerchantStaff::StoreId))
                    .col(string_len(MerchantStaff::Role, 16))
                    .col(boolean(MerchantStaff::Disabled).default(false))
                    .col(timestamp_with_time_zone(MerchantStaff::CreatedAt))
                    .col(timestamp_with_time_zone_null(MerchantStaff::LastLoginAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MerchantStaff::Table, MerchantStaff::MerchantId)
                            .to(Merchants::Table, Merchants::Id),
                    )
                    // Not checked while store_id is NULL (staff of the whole merchant).
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                MerchantStaff::Table,
                                (MerchantStaff::MerchantId, MerchantStaff::StoreId),
                            )
                            .to(
                                MerchantStores::Table,
                                (MerchantStores::MerchantId, MerchantStores::Id),
                            ),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginAttempts::Table)
                    .col(
                        big_integer(LoginAttempts::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len(LoginAttempts::Door, 16))
                    // NULL when what was typed cannot be a username (nothing to lock).
                    .col(string_len_null(LoginAttempts::Username, 32))
                    .col(string_len(LoginAttempts::ClientAddr, ADDRESS_LEN))
                    .col(string_len(LoginAttempts::Outcome, 16))
                    .col(integer_null(LoginAttempts::AccountId))
                    .col(timestamp_with_time_zone(LoginAttempts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_login_attempts_username", LoginAttempts::Username),
            ("idx_login_attempts_client_addr", LoginAttempts::ClientAddr),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(LoginAttempts::Table)
                        .col(LoginAttempts::Door)
                        .col(col)
                        .col(LoginAttempts::CreatedAt)
                        .to_owned(),
                )
                .await?;
        }

        // No foreign keys: the log outlives the accounts and the members it names.
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_integer(AuditLog::Id).auto_increment().primary_key())
                    .col(string_len(AuditLog::ActorKind, 16))
                    .col(integer(AuditLog::ActorId))
                    .col(string_len(AuditLog::ActorRole, 16))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len_null(AuditLog::TargetType, 32))
                    .col(string_len_null(AuditLog::TargetId, 64))
                    .col(string_len_null(AuditLog::RequestId, 64))
                    .col(string_len_null(AuditLog::ClientAddr, ADDRESS_LEN))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_audit_log_actor",
                vec![AuditLog::ActorKind, AuditLog::ActorId, AuditLog::CreatedAt],
            ),
            (
                "idx_audit_log_target",
                vec![
                    AuditLog::TargetType,
                    AuditLog::TargetId,
                    AuditLog::CreatedAt,
                ],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditLog::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        forbid_audit_changes(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS audit_log_append_only() CASCADE")
                .await?;
        }
        for table in [
            AuditLog::Table.into_iden(),
            LoginAttempts::Table.into_iden(),
            MerchantStaff::Table.into_iden(),
            Operators::Table.into_iden(),
            MerchantStores::Table.into_iden(),
            Merchants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The audit log is append-only in the database itself, not only by convention: an UPDATE or
/// DELETE of a row fails, whoever sends it.
async fn forbid_audit_changes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DatabaseBackend::Postgres => {
            db.execute_unprepared(
                "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
                 FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
            )
            .await?;
        }
        _ => {
            for (name, event) in [
                ("audit_log_no_update", "UPDATE"),
                ("audit_log_no_delete", "DELETE"),
            ] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {name} BEFORE {event} ON audit_log \
                     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                ))
                .await?;
            }
        }
    }
    Ok(())
}
