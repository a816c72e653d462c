//! The only place the schema changes. Each migration is a file named by date and sequence.
pub use sea_orm_migration::prelude::*;

mod m20261122_000001_official_account;
mod m20261122_000002_wechat_access_tokens;
mod m20261122_000003_mini_program;
mod m20261122_000010_channel_qr_codes;
mod m20261122_000011_follower_profile_sync;
mod m20261122_000020_push;
mod m20261129_000021_push_follow_ups;
mod m20261129_000030_staff_accounts;
mod m20261130_000040_points;
mod m20261130_000050_coupons;
mod m20261130_000060_payments;
mod m20261130_000070_shop;
mod m20261130_000080_events;
mod m20261130_000090_hot_paths;
mod m20261130_000100_shop_listing_index;
mod m20261130_000110_outbox_claim_index;
mod m20261130_000120_inbound_dedup_key_order;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_official_account::Migration),
            Box::new(m20261122_000002_wechat_access_tokens::Migration),
            Box::new(m20261122_000003_mini_program::Migration),
            Box::new(m20261122_000010_channel_qr_codes::Migration),
            Box::new(m20261122_000011_follower_profile_sync::Migration),
            Box::new(m20261122_000020_push::Migration),
            Box::new(m20261129_000021_push_follow_ups::Migration),
            Box::new(m20261129_000030_staff_accounts::Migration),
            Box::new(m20261130_000040_points::Migration),
            Box::new(m20261130_000050_coupons::Migration),
            Box::new(m20261130_000060_payments::Migration),
            Box::new(m20261130_000070_shop::Migration),
            Box::new(m20261130_000080_events::Migration),
            Box::new(m20261130_000090_hot_paths::Migration),
            Box::new(m20261130_000100_shop_listing_index::Migration),
            Box::new(m20261130_000110_outbox_claim_index::Migration),
            Box::new(m20261130_000120_inbound_dedup_key_order::Migration),
        ]
    }
}
