//! New followers' unionids are fetched in the background and link them to mini-program members.

use babyvax::clock::{Clock, SharedClock};
use babyvax::fake_wechat::{FakeWechat, Fault};
use babyvax::jobs::follower_profiles::sync_once;
use babyvax::service::audience::followers;
use entity::members;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::helpers::{ACCOUNT, SAMPLE_TIMESTAMP, TestApp};

fn follow(openid: &str, time: i64) -> String {
    format!(
        "<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{time}</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>"
    )
}

#[actix_web::test]
async fn a_follower_gets_its_unionid_and_the_member_with_it_is_linked() {
    let app = TestApp::spawn().await;
    let fake = FakeWechat::start().await.unwrap();
    fake.register_app("wxoa", "oa-secret");
    let mut settings = crate::helpers::test_settings(app.database.url());
    settings.oa = Some(babyvax::config::AppCredentials {
        appid: "wxoa".into(),
        secret: "oa-secret".into(),
    });
    settings.wechat_api_base = fake.base_url().clone();
    let clock: SharedClock = app.clock.clone();
    let official_account = babyvax::startup::wechat_clients(&settings, &app.db, &clock)
        .unwrap()
        .official_account
        .unwrap();

    let now = app.clock.now();
    let member = members::ActiveModel {
        openid: Set("mp-openid-1".into()),
        unionid: Set(Some("union-1".into())),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    fake.set_user(
        "oa-openid-1",
        serde_json::json!({"subscribe": 1, "openid": "oa-openid-1", "unionid": " union-1"}),
    );
    fake.set_user(
        "oa-openid-2",
        serde_json::json!({"subscribe": 1, "openid": "oa-openid-2"}),
    );
    app.post_plain(&follow("oa-openid-1", SAMPLE_TIMESTAMP))
        .await;
    app.post_plain(&follow("oa-openid-2", SAMPLE_TIMESTAMP))
        .await;

    // WeChat is down longer than the client's own retries: the followers are given back.
    // The client tries each call 3 times.
    fake.inject("/cgi-bin/user/info", Fault::Http(503), 6);
    let report = sync_once(&app.db, &official_account, &clock).await.unwrap();
    assert_eq!((report.fetched, report.released), (0, 2), "{report:?}");

    let report = sync_once(&app.db, &official_account, &clock).await.unwrap();
    assert_eq!(
        (report.fetched, report.linked_members),
        (2, 1),
        "{report:?}"
    );
    let (follower, _) = followers::history(&app.db, "oa-openid-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(follower.unionid.as_deref(), Some("union-1"));
    let member = members::Entity::find_by_id(member.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member.follower_id, Some(follower.id));

    // Done once: nothing left to fetch until someone follows again.
    let report = sync_once(&app.db, &official_account, &clock).await.unwrap();
    assert_eq!(report.fetched, 0);
    fake.stop().await;
    app.finish().await;
}
