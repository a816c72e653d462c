//! `babyvax demo` runs the whole flow (fake WeChat, seeded families, a day of planning, sends)
//! and shows every channel: template, subscribe and undeliverable.

use std::process::Command;

#[test]
fn the_demo_shows_template_and_subscribe_messages_and_an_undeliverable_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_babyvax"))
        .args(["demo", "--as-of", "2026-11-23"])
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .output()
        .expect("the demo runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("template  to oa-wang"), "{text}");
    assert!(text.contains("subscribe to mp-li"), "{text}");
    assert!(text.contains("undeliverable"), "{text}");
    assert!(text.contains("due_soon"), "{text}");
}
