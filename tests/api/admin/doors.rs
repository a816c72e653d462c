//! One signing key, three doors: a token of one door is `invalid_token` at each other door.

use crate::admin::support::{merchant, merchant_staff, operator};
use crate::mp::support::{MpApp, error};

#[actix_web::test]
async fn a_token_of_one_door_is_refused_by_every_other_door() {
    let mp = MpApp::spawn().await;
    let member = mp.login("o-member").await;
    let admin = operator(&mp, "root", "admin").await;
    let (merchant_id, store_id) = merchant(&mp, "贝贝母婴").await;
    let clerk = merchant_staff(&mp, "clerk-1", "clerk", merchant_id, Some(store_id)).await;
    // The same id at each door: only the audience tells the tokens apart.
    assert_eq!((member.id, admin.id, clerk.id), (1, 1, 1));
    let doors = [
        ("member", "/api/v1/me", member.token.as_str()),
        ("operator", "/admin/v1/me", admin.token.as_str()),
        ("merchant staff", "/merchant/v1/me", clerk.token.as_str()),
    ];
    for (owner, own_route, token) in doors {
        let (s, b) = mp.get(own_route, token).await;
        assert_eq!(s, 200, "{owner} at their own door: {b}");
        for (other, route, _) in doors {
            if other == owner {
                continue;
            }
            let (s, b) = mp.get(route, token).await;
            assert_eq!(
                error(s, &b),
                (401, "invalid_token"),
                "{owner}'s token at the {other} door ({route})"
            );
        }
    }
    mp.finish().await;
}
