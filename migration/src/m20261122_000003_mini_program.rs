//! The mini-program: members (linked to official-account followers by unionid), their privacy
//! consents, babies shared by families through invites, recorded doses and self-paid opt-ins,
//! stage articles, and subscribe-message allowances (an append-only ledger plus a balance).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Followers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
    Openid,
    Unionid,
    FollowerId,
    Nickname,
    Province,
    City,
    PhoneNumber,
    PhoneCountryCode,
    PhoneVerifiedAt,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum PrivacyConsents {
    Table,
    Id,
    MemberId,
    PolicyVersion,
    ConsentedAt,
}

#[derive(DeriveIden)]
enum Babies {
    Table,
    Id,
    OwnerMemberId,
    Name,
    BirthDate,
    Sex,
    PretermWeeks,
    NextEventDate,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BabyCaregivers {
    Table,
    Id,
    BabyId,
    MemberId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BabyInvites {
    Table,
    Id,
    BabyId,
    Code,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedBy,
    AcceptedAt,
}

#[derive(DeriveIden)]
enum BabyOptIns {
    Table,
    Id,
    BabyId,
    Vaccine,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Doses {
    Table,
    Id,
    BabyId,
    Vaccine,
    Dose,
    GivenOn,
    Clinic,
    RecordedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Articles {
    Table,
    Id,
    Slug,
    Title,
    Summary,
    Body,
    MinAgeDays,
    MaxAgeDays,
    Tags,
    AuthorName,
    AuthorTitle,
    AuthorVerifiedExpert,
    Sources,
    Published,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SubscriptionEvents {
    Table,
    Id,
    MemberId,
    TemplateId,
    Result,
    Delta,
    RequestId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SubscriptionAllowances {
    Table,
    Id,
    MemberId,
    TemplateId,
    Remaining,
    UpdatedAt,
}

fn fk(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

fn index(
    name: &str,
    table: impl IntoIden + 'static,
    cols: Vec<DynIden>,
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table(Members::Table)
                    .col(pk_auto(Members::Id))
                    .col(string_len_uniq(Members::Openid, 64))
                    .col(string_len_null(Members::Unionid, 64))
                    .col(integer_null(Members::FollowerId))
                    .col(string_len_null(Members::Nickname, 64))
                    .col(string_len_null(Members::Province, 32))
                    .col(string_len_null(Members::City, 32))
                    .col(string_len_null(Members::PhoneNumber, 32))
                    .col(string_len_null(Members::PhoneCountryCode, 8))
                    .col(timestamp_with_time_zone_null(Members::PhoneVerifiedAt))
                    .col(timestamp_with_time_zone(Members::CreatedAt))
                    .col(timestamp_with_time_zone(Members::UpdatedAt))
                    .col(timestamp_with_time_zone(Members::LastLoginAt))
                    .foreign_key(&mut fk(
                        (Members::Table, Members::FollowerId),
                        (Followers::Table, Followers::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_members_unionid",
                Members::Table,
                vec![Members::Unionid.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PrivacyConsents::Table)
                    .col(pk_auto(PrivacyConsents::Id))
                    .col(integer(PrivacyConsents::MemberId))
                    .col(string_len(PrivacyConsents::PolicyVersion, 32))
                    .col(timestamp_with_time_zone(PrivacyConsents::ConsentedAt))
                    .foreign_key(&mut fk(
                        (PrivacyConsents::Table, PrivacyConsents::MemberId),
                        (Members::Table, Members::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_privacy_consents_member_version",
                PrivacyConsents::Table,
                vec![
                    PrivacyConsents::MemberId.into_iden(),
                    PrivacyConsents::PolicyVersion.into_iden(),
                ],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Babies::Table)
                    .col(pk_auto(Babies::Id))
                    .col(integer(Babies::OwnerMemberId))
                    .col(string_len(Babies::Name, 64))
                    .col(date(Babies::BirthDate))
                    .col(string_len_null(Babies::Sex, 8))
                    .col(integer_null(Babies::PretermWeeks))
                    .col(date_null(Babies::NextEventDate))
                    .col(timestamp_with_time_zone(Babies::CreatedAt))
                    .col(timestamp_with_time_zone(Babies::UpdatedAt))
                    .foreign_key(&mut fk(
                        (Babies::Table, Babies::OwnerMemberId),
                        (Members::Table, Members::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_babies_owner",
                Babies::Table,
                vec![Babies::OwnerMemberId.into_iden()],
                false,
            ))
            .await?;
        // The push planner scans babies by the date their schedule next changes.
        manager
            .create_index(index(
                "idx_babies_next_event_date",
                Babies::Table,
                vec![Babies::NextEventDate.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BabyCaregivers::Table)
                    .col(pk_auto(BabyCaregivers::Id))
                    .col(integer(BabyCaregivers::BabyId))
                    .col(integer(BabyCaregivers::MemberId))
                    .col(string_len(BabyCaregivers::Role, 16))
                    .col(timestamp_with_time_zone(BabyCaregivers::CreatedAt))
                    .foreign_key(&mut fk(
                        (BabyCaregivers::Table, BabyCaregivers::BabyId),
                        (Babies::Table, Babies::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (BabyCaregivers::Table, BabyCaregivers::MemberId),
                        (Members::Table, Members::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_baby_caregivers_baby_member",
                BabyCaregivers::Table,
                vec![
                    BabyCaregivers::BabyId.into_iden(),
                    BabyCaregivers::MemberId.into_iden(),
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_baby_caregivers_member",
                BabyCaregivers::Table,
                vec![BabyCaregivers::MemberId.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BabyInvites::Table)
                    .col(pk_auto(BabyInvites::Id))
                    .col(integer(BabyInvites::BabyId))
                    .col(string_len_uniq(BabyInvites::Code, 16))
                    .col(integer(BabyInvites::CreatedBy))
                    .col(timestamp_with_time_zone(BabyInvites::CreatedAt))
                    .col(timestamp_with_time_zone(BabyInvites::ExpiresAt))
                    .col(integer_null(BabyInvites::AcceptedBy))
                    .col(timestamp_with_time_zone_null(BabyInvites::AcceptedAt))
                    .foreign_key(&mut fk(
                        (BabyInvites::Table, BabyInvites::BabyId),
                        (Babies::Table, Babies::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (BabyInvites::Table, BabyInvites::CreatedBy),
                        (Members::Table, Members::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (BabyInvites::Table, BabyInvites::AcceptedBy),
                        (Members::Table, Members::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_baby_invites_baby",
                BabyInvites::Table,
                vec![BabyInvites::BabyId.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BabyOptIns::Table)
                    .col(pk_auto(BabyOptIns::Id))
                    .col(integer(BabyOptIns::BabyId))
                    .col(string_len(BabyOptIns::Vaccine, 32))
                    .col(timestamp_with_time_zone(BabyOptIns::CreatedAt))
                    .foreign_key(&mut fk(
                        (BabyOptIns::Table, BabyOptIns::BabyId),
                        (Babies::Table, Babies::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_baby_opt_ins_baby_vaccine",
                BabyOptIns::Table,
                vec![
                    BabyOptIns::BabyId.into_iden(),
                    BabyOptIns::Vaccine.into_iden(),
                ],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Doses::Table)
                    .col(pk_auto(Doses::Id))
                    .col(integer(Doses::BabyId))
                    .col(string_len(Doses::Vaccine, 32))
                    .col(integer(Doses::Dose))
                    .col(date(Doses::GivenOn))
                    .col(string_len_null(Doses::Clinic, 100))
                    .col(integer_null(Doses::RecordedBy))
                    .col(timestamp_with_time_zone(Doses::CreatedAt))
                    .col(timestamp_with_time_zone(Doses::UpdatedAt))
                    .foreign_key(&mut fk(
                        (Doses::Table, Doses::BabyId),
                        (Babies::Table, Babies::Id),
                        Cascade,
                    ))
                    // A caregiver who leaves takes their account, not the family's records.
                    .foreign_key(&mut fk(
                        (Doses::Table, Doses::RecordedBy),
                        (Members::Table, Members::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        // One record per dose of a vaccine: a retried or doubled request answers 409.
        manager
            .create_index(index(
                "uq_doses_baby_vaccine_dose",
                Doses::Table,
                vec![
                    Doses::BabyId.into_iden(),
                    Doses::Vaccine.into_iden(),
                    Doses::Dose.into_iden(),
                ],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Articles::Table)
                    .col(pk_auto(Articles::Id))
                    .col(string_len_uniq(Articles::Slug, 64))
                    .col(string_len(Articles::Title, 200))
                    .col(string_len(Articles::Summary, 500))
                    .col(text(Articles::Body))
                    .col(integer(Articles::MinAgeDays))
                    .col(integer_null(Articles::MaxAgeDays))
                    // A JSON array of strings; `vaccine:<ID>` ties an article to that vaccine's doses.
                    .col(text(Articles::Tags))
                    .col(string_len(Articles::AuthorName, 64))
                    .col(string_len_null(Articles::AuthorTitle, 100))
                    .col(boolean(Articles::AuthorVerifiedExpert))
                    .col(text_null(Articles::Sources))
                    .col(boolean(Articles::Published))
                    .col(timestamp_with_time_zone(Articles::CreatedAt))
                    .col(timestamp_with_time_zone(Articles::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_articles_published_age",
                Articles::Table,
                vec![
                    Articles::Published.into_iden(),
                    Articles::MinAgeDays.into_iden(),
                ],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SubscriptionEvents::Table)
                    .col(
                        big_integer(SubscriptionEvents::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(integer(SubscriptionEvents::MemberId))
                    .col(string_len(SubscriptionEvents::TemplateId, 64))
                    .col(string_len(SubscriptionEvents::Result, 16))
                    .col(integer(SubscriptionEvents::Delta))
                    .col(string_len_null(SubscriptionEvents::RequestId, 64))
                    .col(timestamp_with_time_zone(SubscriptionEvents::CreatedAt))
                    .foreign_key(&mut fk(
                        (SubscriptionEvents::Table, SubscriptionEvents::MemberId),
                        (Members::Table, Members::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // A retried consent report with the same request_id counts once (NULLs never collide).
        manager
            .create_index(index(
                "uq_subscription_events_request",
                SubscriptionEvents::Table,
                vec![
                    SubscriptionEvents::MemberId.into_iden(),
                    SubscriptionEvents::TemplateId.into_iden(),
                    SubscriptionEvents::RequestId.into_iden(),
                ],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SubscriptionAllowances::Table)
                    .col(pk_auto(SubscriptionAllowances::Id))
                    .col(integer(SubscriptionAllowances::MemberId))
                    .col(string_len(SubscriptionAllowances::TemplateId, 64))
                    .col(integer(SubscriptionAllowances::Remaining))
                    .col(timestamp_with_time_zone(SubscriptionAllowances::UpdatedAt))
                    .foreign_key(&mut fk(
                        (
                            SubscriptionAllowances::Table,
                            SubscriptionAllowances::MemberId,
                        ),
                        (Members::Table, Members::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_subscription_allowances_member_template",
                SubscriptionAllowances::Table,
                vec![
                    SubscriptionAllowances::MemberId.into_iden(),
                    SubscriptionAllowances::TemplateId.into_iden(),
                ],
                true,
            ))
            .await?;

        seed_articles(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SubscriptionAllowances::Table.into_iden(),
            SubscriptionEvents::Table.into_iden(),
            Articles::Table.into_iden(),
            Doses::Table.into_iden(),
            BabyOptIns::Table.into_iden(),
            BabyInvites::Table.into_iden(),
            BabyCaregivers::Table.into_iden(),
            Babies::Table.into_iden(),
            PrivacyConsents::Table.into_iden(),
            Members::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

struct SeedArticle {
    slug: &'static str,
    title: &'static str,
    summary: &'static str,
    body: &'static str,
    min_age_days: i32,
    /// Exclusive; None: no upper bound.
    max_age_days: Option<i32>,
    /// A JSON array of strings.
    tags: &'static str,
    sources: &'static str,
}

/// A few articles so a fresh install's feed is not empty; operators replace them through the
/// admin API. Written by our editors, not reviewed by a doctor yet, so no expert badge.
async fn seed_articles(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    const EDITORS: &str = "babyvax 编辑部";
    const TITLE: &str = "内容编辑（待儿科医生审核）";
    let articles = [
        SeedArticle {
            slug: "fever-after-vaccination",
            title: "接种后发热，怎么观察和护理",
            summary: "接种后一两天内低热比较常见，多数会自行消退；学会观察，知道什么时候该去医院。",
            body: "接种疫苗后，部分宝宝会在1～2天内出现低热、接种部位红肿或哭闹，这是身体对疫苗产生反应的常见表现，通常会自行消退。\n\n怎么护理：\n- 让宝宝多休息，按需喂奶或喝水，穿着不要过厚；\n- 定时测体温并记录时间和数值；\n- 接种部位保持清洁干燥，不要揉搓；\n- 是否使用退热药，请遵照医生或说明书的建议，不要自行叠加多种药物。\n\n出现以下情况请及时就医：体温持续升高或超过48小时不退；精神差、反复呕吐、抽搐；接种部位红肿范围明显扩大或化脓；皮疹、呼吸困难等过敏表现（严重过敏多在接种后30分钟内出现，所以接种后要在留观区观察30分钟）。\n\n本文为一般性健康信息，不能代替医生的诊断。",
            min_age_days: 0,
            max_age_days: Some(18 * 365),
            tags: r#"["vaccination","fever","care"]"#,
            sources: "国家免疫规划疫苗儿童免疫程序及说明（接种后留观30分钟等一般原则）；内容为编辑整理，待医生审核",
        },
        SeedArticle {
            slug: "dtap-what-to-expect",
            title: "百白破疫苗：接种前后要知道的事",
            summary: "百白破在2、4、6、18月龄和6岁各接种一剂；接种后局部红肿和低热较常见。",
            body: "百白破疫苗预防百日咳、白喉和破伤风。2025年起国家免疫规划的程序为2、4、6、18月龄和6周岁各一剂。\n\n接种前：告诉医生宝宝近期是否发热、上一剂接种后有没有明显不适（如高热、抽搐）。\n接种后：接种部位红肿、硬结和低热比较常见，多数在几天内消失；硬结可能持续更久，不要热敷或挤压，如持续增大请咨询接种门诊。\n\n如果错过了时间，不需要重新开始，补种缺少的剂次即可，请到接种门诊咨询。",
            min_age_days: 0,
            max_age_days: Some(7 * 365),
            tags: r#"["vaccine:DTaP","fever","vaccination"]"#,
            sources: "国家疾控局等关于百白破疫苗免疫程序调整的通知（2025年起施行，新闻报道确认）；内容为编辑整理，待医生审核",
        },
        SeedArticle {
            slug: "newborn-hepb-bcg",
            title: "出生后的第一针：乙肝疫苗和卡介苗",
            summary: "乙肝疫苗第1剂在出生后24小时内接种，卡介苗出生时接种；出院前确认接种证已记录。",
            body: "宝宝出生后通常在医院完成乙肝疫苗第1剂（出生后24小时内）和卡介苗。出院前请确认接种证上已经记录，并把日期录入小程序，之后的提醒才会准确。\n\n卡介苗接种后2～3周左右，接种部位可能出现小红结节、化脓、结痂，这是正常过程，保持清洁即可，不要挤压或涂药。\n\n乙肝疫苗第2剂在1月龄、第3剂在6月龄接种。",
            min_age_days: 0,
            max_age_days: Some(365),
            tags: r#"["vaccine:HepB","vaccine:BCG","newborn"]"#,
            sources: "国家免疫规划疫苗儿童免疫程序及说明（2021年版）；内容为编辑整理，待医生审核",
        },
        SeedArticle {
            slug: "mmr-at-8-months",
            title: "麻腮风疫苗：8月龄的一针",
            summary: "麻腮风第1剂在8月龄，第2剂在18月龄；它是减毒活疫苗，和其他注射用活疫苗要同天接种或间隔28天。",
            body: "麻腮风疫苗预防麻疹、流行性腮腺炎和风疹，8月龄接种第1剂，18月龄接种第2剂。\n\n它属于注射用减毒活疫苗：如果和乙脑减毒活疫苗、水痘疫苗等其他注射用活疫苗不在同一天接种，两者要间隔至少28天。小程序会按已记录的日期自动调整提醒。\n\n接种后1～2周内少数宝宝会出现短暂发热或轻微皮疹，一般会自行消退；如有高热不退或精神差请就医。",
            min_age_days: 180,
            max_age_days: Some(2 * 365),
            tags: r#"["vaccine:MMR","vaccination"]"#,
            sources: "国家免疫规划疫苗儿童免疫程序及说明（2021年版）：注射用减毒活疫苗间隔不少于28天；内容为编辑整理，待医生审核",
        },
        SeedArticle {
            slug: "first-solid-foods",
            title: "添加辅食的第一口：从富含铁的泥糊开始",
            summary: "满6月龄开始添加辅食，先从强化铁米粉、肉泥等富含铁的食物开始，一次只加一种新食物。",
            body: "满6月龄（约180天）起，奶已经不能满足宝宝全部的营养需要，尤其是铁。建议：\n- 第一口选择富含铁的泥糊状食物，如强化铁的婴儿米粉、肉泥；\n- 每次只添加一种新食物，观察3～5天再加下一种；\n- 1岁以内不加盐和糖；\n- 6～8月龄每天2～3餐辅食，同时继续母乳喂养；\n- 顺应喂养：留意宝宝饥饱信号，不强迫进食。\n\n早产宝宝添加辅食的时间请咨询儿保医生。",
            min_age_days: 150,
            max_age_days: Some(300),
            tags: r#"["feeding","complementary_feeding"]"#,
            sources: "WHO 6–23月龄婴幼儿辅食喂养指南（2023）；中国居民膳食指南（2022）7～24月龄婴幼儿喂养指南；WS/T 678-2020（新闻摘要）",
        },
        SeedArticle {
            slug: "toddler-home-safety",
            title: "会爬会走了：家里的安全检查清单",
            summary: "宝宝开始爬和走，活动范围一下子变大，提前做好防跌落、防误吞、防烫伤。",
            body: "宝宝学会爬、扶站和走路的时间差别很大（世卫组织的研究显示，独走在8～18个月之间都属正常范围），但一旦会移动，家里的风险就多了：\n- 楼梯口、窗户加装护栏，家具固定在墙上；\n- 纽扣电池、磁力珠、硬币、坚果等小物件放到够不着的地方；\n- 热水、热汤远离桌边，插座加保护盖；\n- 药品、清洁剂锁好。\n\n如果到18个月还不会独走，请咨询儿保医生。",
            min_age_days: 150,
            max_age_days: Some(3 * 365),
            tags: r#"["safety","gross_motor"]"#,
            sources: "WHO Motor Development Study, Acta Paediatr Suppl 2006;450:86-95（独走窗口）；内容为编辑整理",
        },
    ];
    let now = Expr::current_timestamp();
    let mut insert = Query::insert();
    insert.into_table(Articles::Table).columns([
        Articles::Slug,
        Articles::Title,
        Articles::Summary,
        Articles::Body,
        Articles::MinAgeDays,
        Articles::MaxAgeDays,
        Articles::Tags,
        Articles::AuthorName,
        Articles::AuthorTitle,
        Articles::AuthorVerifiedExpert,
        Articles::Sources,
        Articles::Published,
        Articles::CreatedAt,
        Articles::UpdatedAt,
    ]);
    for a in articles {
        insert.values_panic([
            a.slug.into(),
            a.title.into(),
            a.summary.into(),
            a.body.into(),
            a.min_age_days.into(),
            a.max_age_days.into(),
            a.tags.into(),
            EDITORS.into(),
            TITLE.into(),
            false.into(),
            a.sources.into(),
            true.into(),
            now.clone().into(),
            now.clone().into(),
        ]);
    }
    manager.exec_stmt(insert).await
}
