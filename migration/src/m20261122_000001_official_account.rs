//! Followers of the official account, their follow history and acquisition channels, the
//! deduplication record of callback deliveries, and the keyword reply rules.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Channels {
    Table,
    Id,
    Code,
    Name,
    Kind,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Followers {
    Table,
    Id,
    Openid,
    Unionid,
    Subscribed,
    FirstChannel,
    LastChannel,
    FirstSubscribedAt,
    LastSubscribedAt,
    LastUnsubscribedAt,
    SubscribeCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FollowerEvents {
    Table,
    Id,
    FollowerId,
    Kind,
    Channel,
    OccurredAt,
    RecordedAt,
}

#[derive(DeriveIden)]
enum InboundMessages {
    Table,
    Id,
    DedupKey,
    Openid,
    MsgType,
    Event,
    CreateTime,
    Summary,
    ReplyXml,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum ReplyRules {
    Table,
    Id,
    MatchKind,
    Pattern,
    Priority,
    Reply,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Channels::Table)
                    .col(pk_auto(Channels::Id))
                    .col(string_len_uniq(Channels::Code, 64))
                    .col(string(Channels::Name))
                    .col(string_len(Channels::Kind, 32))
                    .col(timestamp_with_time_zone(Channels::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Followers::Table)
                    .col(pk_auto(Followers::Id))
                    .col(string_len_uniq(Followers::Openid, 64))
                    .col(string_len_null(Followers::Unionid, 64))
                    .col(boolean(Followers::Subscribed))
                    .col(string_len_null(Followers::FirstChannel, 64))
                    .col(string_len_null(Followers::LastChannel, 64))
                    .col(timestamp_with_time_zone_null(Followers::FirstSubscribedAt))
                    .col(timestamp_with_time_zone_null(Followers::LastSubscribedAt))
                    .col(timestamp_with_time_zone_null(Followers::LastUnsubscribedAt))
                    .col(integer(Followers::SubscribeCount).default(0))
                    .col(timestamp_with_time_zone(Followers::CreatedAt))
                    .col(timestamp_with_time_zone(Followers::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_followers_unionid")
                    .table(Followers::Table)
                    .col(Followers::Unionid)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FollowerEvents::Table)
                    .col(pk_auto(FollowerEvents::Id))
                    .col(integer(FollowerEvents::FollowerId))
                    .col(string_len(FollowerEvents::Kind, 16))
                    .col(string_len_null(FollowerEvents::Channel, 64))
                    .col(timestamp_with_time_zone(FollowerEvents::OccurredAt))
                    .col(timestamp_with_time_zone(FollowerEvents::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(FollowerEvents::Table, FollowerEvents::FollowerId)
                            .to(Followers::Table, Followers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_follower_events_follower_time")
                    .table(FollowerEvents::Table)
                    .col(FollowerEvents::FollowerId)
                    .col(FollowerEvents::OccurredAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InboundMessages::Table)
                    .col(
                        big_integer(InboundMessages::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len_uniq(InboundMessages::DedupKey, 200))
                    .col(string_len(InboundMessages::Openid, 64))
                    .col(string_len(InboundMessages::MsgType, 32))
                    .col(string_len_null(InboundMessages::Event, 64))
                    .col(big_integer(InboundMessages::CreateTime))
                    .col(text(InboundMessages::Summary))
                    .col(text_null(InboundMessages::ReplyXml))
                    .col(timestamp_with_time_zone(InboundMessages::ReceivedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_inbound_messages_received_at")
                    .table(InboundMessages::Table)
                    .col(InboundMessages::ReceivedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReplyRules::Table)
                    .col(pk_auto(ReplyRules::Id))
                    .col(string_len(ReplyRules::MatchKind, 16))
                    .col(string(ReplyRules::Pattern))
                    .col(integer(ReplyRules::Priority))
                    .col(text(ReplyRules::Reply))
                    .col(boolean(ReplyRules::Enabled))
                    .col(timestamp_with_time_zone(ReplyRules::CreatedAt))
                    .col(timestamp_with_time_zone(ReplyRules::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        seed_reply_rules(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ReplyRules::Table.into_iden(),
            InboundMessages::Table.into_iden(),
            FollowerEvents::Table.into_iden(),
            Followers::Table.into_iden(),
            Channels::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// A fresh install answers a follow with a welcome, a few common words with pointers, and
/// anything else with help. Operators edit these rows afterwards.
async fn seed_reply_rules(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let text =
        |content: &str| serde_json::json!({ "type": "text", "content": content }).to_string();
    let rules = [
        (
            "subscribe",
            "",
            0,
            text(
                "欢迎关注！这里会在宝宝每一针疫苗到期前提醒您，并按月龄推送喂养与成长知识。\n打开小程序登记宝宝信息即可开始。回复“帮助”查看更多。",
            ),
        ),
        (
            "exact",
            "帮助",
            10,
            text(
                "回复“疫苗”了解接种提醒，回复“月龄”了解成长内容。\n登记宝宝、查看接种计划请打开小程序。",
            ),
        ),
        (
            "exact",
            "help",
            10,
            text(
                "Reply 疫苗 for vaccination reminders, 月龄 for stage content. Register your baby in the mini-program.",
            ),
        ),
        (
            "contains",
            "疫苗",
            20,
            text("在小程序中登记宝宝的出生日期和已接种记录，我们会在每一针到期前三天提醒您。"),
        ),
        (
            "contains",
            "接种",
            21,
            text("在小程序中登记宝宝的出生日期和已接种记录，我们会在每一针到期前三天提醒您。"),
        ),
        (
            "contains",
            "月龄",
            30,
            text("我们会按宝宝的月龄推送喂养、大运动发育和敏感期的内容。"),
        ),
        (
            "default",
            "",
            1000,
            text("收到！回复“帮助”查看可以做什么，或打开小程序管理宝宝的接种计划。"),
        ),
    ];
    let now = Expr::current_timestamp();
    let mut insert = Query::insert();
    insert.into_table(ReplyRules::Table).columns([
        ReplyRules::MatchKind,
        ReplyRules::Pattern,
        ReplyRules::Priority,
        ReplyRules::Reply,
        ReplyRules::Enabled,
        ReplyRules::CreatedAt,
        ReplyRules::UpdatedAt,
    ]);
    for (kind, pattern, priority, reply) in rules {
        insert.values_panic([
            kind.into(),
            pattern.into(),
            priority.into(),
            reply.into(),
            true.into(),
            now.clone().into(),
            now.clone().into(),
        ]);
    }
    manager.exec_stmt(insert).await
}
