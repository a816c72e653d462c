//! The sender's claim takes the first due pending rows in (not_before, id) order: an index on
//! (status, not_before, id) hands them over in that order, so a claim reads its batch instead of
//! sorting every due row (all of a day's reminders come due at the same instant). It replaces
//! the (status, not_before) index, whose uses it covers.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PushOutbox {
    Table,
    Id,
    Status,
    NotBefore,
}

const INDEX: &str = "idx_push_outbox_claim";
const REPLACED: &str = "idx_push_outbox_status_not_before";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(PushOutbox::Table)
                    .col(PushOutbox::Status)
                    .col(PushOutbox::NotBefore)
                    .col(PushOutbox::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(REPLACED)
                    .table(PushOutbox::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(REPLACED)
                    .table(PushOutbox::Table)
                    .col(PushOutbox::Status)
                    .col(PushOutbox::NotBefore)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(PushOutbox::Table)
                    .to_owned(),
            )
            .await
    }
}
