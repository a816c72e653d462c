//! The command line, run as a separate process.

use std::process::Command;

use babyvax::domain::schedule::{self, Edition, ScheduleInput};

#[test]
fn schedule_command_prints_the_engine_json() {
    let out = Command::new(env!("CARGO_BIN_EXE_babyvax"))
        .args(["schedule", "--birth", "2025-01-15", "--as-of", "2025-06-01"])
        .args([
            "--given",
            "HepB:1:2025-01-15",
            "--given",
            "BCG:1:2025-01-16",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let mut input =
        ScheduleInput::new("2025-01-15".parse().unwrap(), "2025-06-01".parse().unwrap());
    input.given = vec![
        schedule::parse_given("HepB:1:2025-01-15").unwrap(),
        schedule::parse_given("BCG:1:2025-01-16").unwrap(),
    ];
    let expected =
        serde_json::to_value(schedule::compute(Edition::current(), &input).unwrap()).unwrap();
    assert_eq!(printed, expected);
    assert_eq!(printed["as_of"], "2025-06-01");
    let hepb1 = &printed["doses"][0];
    assert_eq!(
        (
            hepb1["vaccine"].as_str(),
            hepb1["dose"].as_u64(),
            hepb1["status"].as_str()
        ),
        (Some("HepB"), Some(1), Some("done"))
    );
}

#[test]
fn schedule_command_refuses_bad_input_with_a_code() {
    let out = Command::new(env!("CARGO_BIN_EXE_babyvax"))
        .args([
            "schedule",
            "--birth",
            "2025-01-15",
            "--given",
            "HepB:one:2025-01-15",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid_given_format"));
}
