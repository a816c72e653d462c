//! Support's read of a member's data: the member's own export, for admin and support only, and
//! never without an audit row.

use crate::admin::support::{audited_actions, operator};
use crate::mp::support::{MpApp, error};

#[actix_web::test]
async fn support_reads_a_members_data_and_every_read_is_audited() {
    let mp = MpApp::spawn().await;
    let parent = mp.parent("o-parent").await;
    let baby = mp.add_baby(&parent, "小米", "2025-09-15").await;
    assert_eq!(
        mp.add_dose(&parent, baby, "HepB", 1, "2025-09-15").await.0,
        201
    );
    let support = operator(&mp, "helpdesk", "support").await;
    let admin = operator(&mp, "root", "admin").await;

    let (s, data) = mp
        .get(&format!("/admin/v1/members/{}", parent.id), &support.token)
        .await;
    assert_eq!(s, 200, "{data}");
    // What the member's own export says.
    let (_, own) = mp.get("/api/v1/me/export", &parent.token).await;
    assert_eq!(data["member"], own["member"]);
    assert_eq!(data["babies"], own["babies"]);
    assert_eq!(data["babies"][0]["baby"]["name"], "小米");
    assert_eq!(data["babies"][0]["doses"][0]["vaccine"], "HepB");

    let (s, _) = mp
        .get(&format!("/admin/v1/members/{}", parent.id), &admin.token)
        .await;
    assert_eq!(s, 200);

    let rows = audited_actions(&mp).await;
    let reads: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.action.as_str(),
                r.actor_id,
                r.actor_role.as_str(),
                r.target_type.as_deref(),
                r.target_id.clone(),
            )
        })
        .collect();
    let member = Some(parent.id.to_string());
    assert_eq!(
        reads,
        [
            (
                "member.read",
                support.id,
                "support",
                Some("member"),
                member.clone()
            ),
            ("member.read", admin.id, "admin", Some("member"), member),
        ]
    );
    assert!(rows.iter().all(|r| r.request_id.is_some()));
    mp.finish().await;
}

#[actix_web::test]
async fn other_roles_and_unknown_members_read_nothing_and_leave_no_read_in_the_log() {
    let mp = MpApp::spawn().await;
    let parent = mp.parent("o-parent").await;
    for role in ["operator", "analyst"] {
        let who = operator(&mp, &format!("{role}-1"), role).await;
        let (s, b) = mp
            .get(&format!("/admin/v1/members/{}", parent.id), &who.token)
            .await;
        assert_eq!(error(s, &b), (403, "role_forbidden"), "{role}");
    }
    let support = operator(&mp, "helpdesk", "support").await;
    let (s, b) = mp.get("/admin/v1/members/99999", &support.token).await;
    assert_eq!(error(s, &b), (404, "unknown_member"));
    // An erased member is unknown too.
    assert_eq!(mp.delete("/api/v1/me", &parent.token).await.0, 200);
    let (s, b) = mp
        .get(&format!("/admin/v1/members/{}", parent.id), &support.token)
        .await;
    assert_eq!(error(s, &b), (404, "unknown_member"));
    assert!(audited_actions(&mp).await.is_empty());
    // A member's token is not an operator's.
    let other = mp.login("o-other").await;
    let (s, b) = mp
        .get(&format!("/admin/v1/members/{}", other.id), &other.token)
        .await;
    assert_eq!(error(s, &b), (401, "invalid_token"));
    mp.finish().await;
}
