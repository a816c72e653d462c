//! Harness: the mini-program app (see `mp::support`) with WeChat Pay configured against the
//! fake's WeChat Pay, which shares the app's clock and delivers notifications to the app.

use std::sync::Arc;

use babyvax::clock::Clock;
use babyvax::fake_wechat::{FakePayConfig, Notice, Tamper};
use babyvax::service::commerce::checkout;
use babyvax::wechat::pay::{ApiV3Key, MerchantKey, PayConfig, PublicKey, Signer, Verifier};
use entity::{membership_periods, pay_alarms, pay_orders};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::mp::support::{MP_APPID, Member, MpApp};

pub const MCHID: &str = "1900007291";
pub const MERCHANT_SERIAL: &str = "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB";
pub const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0000000000000000FAKE00000001";
pub const API_V3_KEY: &str = "5YI2YwEdV56hCsNEoOGEeL17vRFcz3i6";

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/pay/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub struct PayApp {
    pub mp: MpApp,
}

impl PayApp {
    pub async fn spawn() -> Self {
        let mp = MpApp::spawn_with(|s| {
            s.pay = Some(PayConfig {
                signer: Signer {
                    mchid: MCHID.into(),
                    serial: MERCHANT_SERIAL.into(),
                    // A path to a PEM file, as an operator would configure it.
                    key: MerchantKey::from_pem_setting(&fixture("merchant_key.pem")).unwrap(),
                },
                api_v3_key: ApiV3Key::new(API_V3_KEY.as_bytes()).unwrap(),
                verifier: Verifier::new(
                    Some((
                        PUBLIC_KEY_ID.into(),
                        PublicKey::from_pem_setting(&fixture("platform_pub.pem")).unwrap(),
                    )),
                    vec![],
                ),
                api_base: s.wechat_api_base.clone(),
                notify_url: "https://babyvax.example/wechat/pay/notify".into(),
                appid: MP_APPID.into(),
            });
        })
        .await;
        mp.fake.enable_pay(FakePayConfig {
            mchid: MCHID.into(),
            appid: MP_APPID.into(),
            merchant_serial: MERCHANT_SERIAL.into(),
            merchant_public_key: PublicKey::from_pem_setting(&fixture("merchant_pub.pem")).unwrap(),
            platform_key: MerchantKey::from_pem_setting(&fixture("platform_key.pem")).unwrap(),
            platform_key_id: PUBLIC_KEY_ID.into(),
            api_v3_key: ApiV3Key::new(API_V3_KEY.as_bytes()).unwrap(),
            clock: mp.app.clock.clone(),
        });
        mp.fake
            .redirect_pay_notifications(&format!("{}/wechat/pay/notify", mp.app.address));
        PayApp { mp }
    }

    /// Buys `plan` as `member`: 201 and the order's JSON.
    pub async fn order(&self, member: &Member, plan: &str, request_id: &str) -> Value {
        let (status, body) = self
            .mp
            .post(
                "/api/v1/membership/orders",
                &member.token,
                json!({"plan_id": plan, "request_id": request_id}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }

    pub fn out_trade_no(order: &Value) -> String {
        order["out_trade_no"].as_str().unwrap().to_owned()
    }

    /// Pays at the fake and delivers the notification once; answers the notify door's status.
    pub async fn pay(&self, order: &Value) -> u16 {
        self.mp.fake.pay(&Self::out_trade_no(order)).await.unwrap()
    }

    pub fn notice(&self, order: &Value, tamper: Tamper) -> Notice {
        self.mp
            .fake
            .pay_notice(&Self::out_trade_no(order), tamper)
            .unwrap()
    }

    pub async fn pay_order_row(&self, order: &Value) -> pay_orders::Model {
        pay_orders::Entity::find()
            .filter(pay_orders::Column::OutTradeNo.eq(Self::out_trade_no(order)))
            .one(&self.mp.app.db)
            .await
            .unwrap()
            .unwrap()
    }

    pub async fn periods(&self, member: &Member) -> Vec<membership_periods::Model> {
        membership_periods::Entity::find()
            .filter(membership_periods::Column::MemberId.eq(member.id as i32))
            .all(&self.mp.app.db)
            .await
            .unwrap()
    }

    pub async fn alarms(&self) -> Vec<pay_alarms::Model> {
        pay_alarms::Entity::find()
            .all(&self.mp.app.db)
            .await
            .unwrap()
    }

    pub async fn membership(&self, member: &Member) -> Value {
        let (status, body) = self.mp.get("/api/v1/membership", &member.token).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// One pass of the payments job's reconciliation.
    pub async fn reconcile(&self) -> babyvax::service::commerce::payments::Reconciled {
        let state_pay = self.pay_client();
        checkout::reconcile(&self.mp.app.db, &state_pay, self.mp.app.clock.now())
            .await
            .unwrap()
    }

    /// A client like the app's, for jobs run by hand.
    pub fn pay_client(&self) -> babyvax::wechat::pay::PayClient {
        let base = self.mp.fake.base_url().clone();
        babyvax::wechat::pay::PayClient::new(
            Arc::new(PayConfig {
                signer: Signer {
                    mchid: MCHID.into(),
                    serial: MERCHANT_SERIAL.into(),
                    key: MerchantKey::from_pem_setting(&fixture("merchant_key.pem")).unwrap(),
                },
                api_v3_key: ApiV3Key::new(API_V3_KEY.as_bytes()).unwrap(),
                verifier: Verifier::new(
                    Some((
                        PUBLIC_KEY_ID.into(),
                        PublicKey::from_pem_setting(&fixture("platform_pub.pem")).unwrap(),
                    )),
                    vec![],
                ),
                api_base: base,
                notify_url: format!("{}/wechat/pay/notify", self.mp.app.address),
                appid: MP_APPID.into(),
            }),
            self.mp.app.clock.clone(),
        )
        .unwrap()
    }

    pub async fn finish(self) {
        self.mp.finish().await;
    }
}
