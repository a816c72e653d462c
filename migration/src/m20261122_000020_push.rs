//! The push engine: the outbox (one row per message, unique dedup key), each baby's next push
//! date (the planner's index), parents' push preferences and operator campaigns.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Babies {
    Table,
    Id,
    BirthDate,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Followers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PushSchedule {
    Table,
    BabyId,
    NextPushDate,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PushPreferences {
    Table,
    MemberId,
    DueSoon,
    DueToday,
    Overdue,
    Stage,
    Campaign,
    StopAll,
    QuietStartMinute,
    QuietEndMinute,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PushCampaigns {
    Table,
    Id,
    Name,
    Kind,
    Title,
    Summary,
    Page,
    Segment,
    CreatedBy,
    Status,
    Recipients,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PushOutbox {
    Table,
    Id,
    DedupKey,
    Kind,
    BabyId,
    MemberId,
    FollowerId,
    CampaignId,
    Vaccine,
    Dose,
    StageId,
    EventDate,
    PlannedFor,
    Payload,
    Status,
    Channel,
    TemplateId,
    Openid,
    AllowanceTaken,
    Attempts,
    NotBefore,
    ClaimedUntil,
    ClaimedBy,
    ErrorCode,
    LastError,
    WechatMsgid,
    DeliveryStatus,
    CreatedAt,
    UpdatedAt,
    SentAt,
}

fn fk(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PushSchedule::Table)
                    .col(integer(PushSchedule::BabyId).primary_key())
                    .col(date_null(PushSchedule::NextPushDate))
                    .col(timestamp_with_time_zone(PushSchedule::UpdatedAt))
                    .foreign_key(&mut fk(
                        (PushSchedule::Table, PushSchedule::BabyId),
                        (Babies::Table, Babies::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The planner reads `WHERE next_push_date <= as_of`: cost follows the babies due.
        manager
            .create_index(
                Index::create()
                    .name("idx_push_schedule_next_push_date")
                    .table(PushSchedule::Table)
                    .col(PushSchedule::NextPushDate)
                    .col(PushSchedule::BabyId)
                    .to_owned(),
            )
            .await?;
        // Babies that exist before the push engine: planned from their birth date, which the
        // planner's catch-up window turns into "only what is due around today".
        let backfill = Query::insert()
            .into_table(PushSchedule::Table)
            .columns([
                PushSchedule::BabyId,
                PushSchedule::NextPushDate,
                PushSchedule::UpdatedAt,
            ])
            .select_from(
                Query::select()
                    .column(Babies::Id)
                    .column(Babies::BirthDate)
                    .expr(Expr::current_timestamp())
                    .from(Babies::Table)
                    .to_owned(),
            )
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .to_owned();
        manager.exec_stmt(backfill).await?;

        manager
            .create_table(
                Table::create()
                    .table(PushPreferences::Table)
                    .col(integer(PushPreferences::MemberId).primary_key())
                    .col(boolean(PushPreferences::DueSoon))
                    .col(boolean(PushPreferences::DueToday))
                    .col(boolean(PushPreferences::Overdue))
                    .col(boolean(PushPreferences::Stage))
                    .col(boolean(PushPreferences::Campaign))
                    .col(boolean(PushPreferences::StopAll))
                    .col(integer_null(PushPreferences::QuietStartMinute))
                    .col(integer_null(PushPreferences::QuietEndMinute))
                    .col(timestamp_with_time_zone(PushPreferences::UpdatedAt))
                    .foreign_key(&mut fk(
                        (PushPreferences::Table, PushPreferences::MemberId),
                        (Members::Table, Members::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PushCampaigns::Table)
                    .col(pk_auto(PushCampaigns::Id))
                    .col(string_len(PushCampaigns::Name, 100))
                    .col(string_len(PushCampaigns::Kind, 16))
                    .col(string_len(PushCampaigns::Title, 100))
                    .col(string_len(PushCampaigns::Summary, 200))
                    .col(string_len_null(PushCampaigns::Page, 200))
                    .col(text(PushCampaigns::Segment))
                    .col(string_len_null(PushCampaigns::CreatedBy, 64))
                    .col(string_len(PushCampaigns::Status, 16))
                    .col(integer(PushCampaigns::Recipients))
                    .col(timestamp_with_time_zone(PushCampaigns::CreatedAt))
                    .col(timestamp_with_time_zone(PushCampaigns::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PushOutbox::Table)
                    .col(big_integer(PushOutbox::Id).auto_increment().primary_key())
                    .col(string_len_uniq(PushOutbox::DedupKey, 160))
                    .col(string_len(PushOutbox::Kind, 16))
                    .col(integer_null(PushOutbox::BabyId))
                    .col(integer_null(PushOutbox::MemberId))
                    .col(integer_null(PushOutbox::FollowerId))
                    .col(integer_null(PushOutbox::CampaignId))
                    .col(string_len_null(PushOutbox::Vaccine, 32))
                    .col(integer_null(PushOutbox::Dose))
                    .col(string_len_null(PushOutbox::StageId, 64))
                    .col(date_null(PushOutbox::EventDate))
                    .col(date(PushOutbox::PlannedFor))
                    .col(text(PushOutbox::Payload))
                    .col(string_len(PushOutbox::Status, 16))
                    .col(string_len_null(PushOutbox::Channel, 16))
                    .col(string_len_null(PushOutbox::TemplateId, 64))
                    .col(string_len_null(PushOutbox::Openid, 64))
                    .col(boolean(PushOutbox::AllowanceTaken))
                    .col(integer(PushOutbox::Attempts))
                    .col(timestamp_with_time_zone(PushOutbox::NotBefore))
                    .col(timestamp_with_time_zone_null(PushOutbox::ClaimedUntil))
                    .col(string_len_null(PushOutbox::ClaimedBy, 64))
                    .col(big_integer_null(PushOutbox::ErrorCode))
                    .col(text_null(PushOutbox::LastError))
                    .col(big_integer_null(PushOutbox::WechatMsgid))
                    .col(string_len_null(PushOutbox::DeliveryStatus, 64))
                    .col(timestamp_with_time_zone(PushOutbox::CreatedAt))
                    .col(timestamp_with_time_zone(PushOutbox::UpdatedAt))
                    .col(timestamp_with_time_zone_null(PushOutbox::SentAt))
                    .foreign_key(&mut fk(
                        (PushOutbox::Table, PushOutbox::BabyId),
                        (Babies::Table, Babies::Id),
                    ))
                    .foreign_key(&mut fk(
                        (PushOutbox::Table, PushOutbox::MemberId),
                        (Members::Table, Members::Id),
                    ))
                    .foreign_key(&mut fk(
                        (PushOutbox::Table, PushOutbox::FollowerId),
                        (Followers::Table, Followers::Id),
                    ))
                    .foreign_key(&mut fk(
                        (PushOutbox::Table, PushOutbox::CampaignId),
                        (PushCampaigns::Table, PushCampaigns::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            // The sender's claim: pending rows whose time has come.
            (
                "idx_push_outbox_status_not_before",
                vec![PushOutbox::Status, PushOutbox::NotBefore],
            ),
            // Recording a dose cancels the baby's unsent reminders.
            (
                "idx_push_outbox_baby_status",
                vec![PushOutbox::BabyId, PushOutbox::Status],
            ),
            // TEMPLATESENDJOBFINISH names the message by WeChat's msgid.
            (
                "idx_push_outbox_wechat_msgid",
                vec![PushOutbox::WechatMsgid],
            ),
            ("idx_push_outbox_member", vec![PushOutbox::MemberId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(PushOutbox::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PushOutbox::Table.into_iden(),
            PushCampaigns::Table.into_iden(),
            PushPreferences::Table.into_iden(),
            PushSchedule::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
