//! The parents' product listing without a category reads on-sale products newest first: an index
//! on (status, id) walks them in order instead of sorting every on-sale product for each page.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ShopProducts {
    Table,
    Id,
    Status,
}

const INDEX: &str = "ix_shop_products_status_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(ShopProducts::Table)
                    .col(ShopProducts::Status)
                    .col(ShopProducts::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(ShopProducts::Table)
                    .to_owned(),
            )
            .await
    }
}
