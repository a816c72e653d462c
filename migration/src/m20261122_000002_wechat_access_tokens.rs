//! The access tokens of the WeChat apps, shared by every instance, and their refresh lease.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WechatAccessTokens {
    Table,
    Appid,
    AccessToken,
    ExpiresAt,
    LeaseHolder,
    LeaseUntil,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WechatAccessTokens::Table)
                    .col(string_len(WechatAccessTokens::Appid, 64).primary_key())
                    // WeChat asks for at least 512 characters of room; text has no limit.
                    .col(text(WechatAccessTokens::AccessToken))
                    .col(timestamp_with_time_zone(WechatAccessTokens::ExpiresAt))
                    .col(string_len_null(WechatAccessTokens::LeaseHolder, 128))
                    .col(timestamp_with_time_zone_null(
                        WechatAccessTokens::LeaseUntil,
                    ))
                    .col(timestamp_with_time_zone(WechatAccessTokens::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WechatAccessTokens::Table).to_owned())
            .await
    }
}
