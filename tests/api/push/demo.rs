//! `babyvax demo` runs the whole flow (fake WeChat, seeded families, a day of planning, sends)
//! and shows every channel (template, subscribe and undeliverable), catch-ups for the babies
//! registered late, and one vaccine reminder per baby.

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
    assert!(text.contains("catch_up"), "{text}");
    // What went out about vaccines: one message per baby, naming all its doses due.
    let reminders: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("VACCINE_REMINDER"))
        .collect();
    let mut babies: Vec<&str> = reminders
        .iter()
        .filter_map(|l| {
            l.split(" | ").find_map(|f| {
                f.trim()
                    .strip_prefix("keyword1=")
                    .or(f.trim().strip_prefix("thing1="))
            })
        })
        .collect();
    assert_eq!(babies.len(), reminders.len(), "{text}");
    babies.sort_unstable();
    let before = babies.len();
    babies.dedup();
    assert_eq!(babies.len(), before, "one reminder per baby: {text}");
    assert!(
        reminders
            .iter()
            .any(|l| l.contains("待接种") && l.contains("、")),
        "a catch-up naming several doses: {text}"
    );
}
