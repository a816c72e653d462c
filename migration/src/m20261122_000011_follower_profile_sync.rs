//! When a follower's WeChat profile (for its unionid) was last asked for; NULL means "ask".

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Followers {
    Table,
    ProfileCheckedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Followers::Table)
                    .add_column(timestamp_with_time_zone_null(Followers::ProfileCheckedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_followers_profile_checked_at")
                    .table(Followers::Table)
                    .col(Followers::ProfileCheckedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_followers_profile_checked_at")
                    .table(Followers::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Followers::Table)
                    .drop_column(Followers::ProfileCheckedAt)
                    .to_owned(),
            )
            .await
    }
}
