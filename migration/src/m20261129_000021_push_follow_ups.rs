//! Grouped reminders and follow-ups: an outbox row names every dose it is about (`doses`), and
//! each baby's planner index carries its next catch-up or follow-up day.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PushOutbox {
    Table,
    Doses,
}

#[derive(DeriveIden)]
enum PushSchedule {
    Table,
    FollowUpOn,
    CatchUp,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(PushOutbox::Table)
                    .add_column(text_null(PushOutbox::Doses))
                    .to_owned(),
            )
            .await?;
        // Rows written before: their one dose, in the new column's form (`HepB:2`). `||` and
        // CAST are the same on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE push_outbox SET doses = vaccine || ':' || CAST(dose AS TEXT) \
                 WHERE vaccine IS NOT NULL AND dose IS NOT NULL",
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PushSchedule::Table)
                    .add_column(date_null(PushSchedule::FollowUpOn))
                    .to_owned(),
            )
            .await?;
        // Babies registered before: no catch-up (their parents would all get one on the day of
        // the upgrade); their follow-ups start with their next due or overdue reminder.
        manager
            .alter_table(
                Table::alter()
                    .table(PushSchedule::Table)
                    .add_column(boolean(PushSchedule::CatchUp).default(false))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            (
                PushSchedule::Table.into_iden(),
                PushSchedule::CatchUp.into_iden(),
            ),
            (
                PushSchedule::Table.into_iden(),
                PushSchedule::FollowUpOn.into_iden(),
            ),
            (PushOutbox::Table.into_iden(), PushOutbox::Doses.into_iden()),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
