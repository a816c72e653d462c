//! One or more tests per rule of the edition. Most use a child born 2025-01-15 (mid-month, so
//! month arithmetic needs no clamping): 1 m = 2025-02-15, 6 m = 2025-07-15, 12 m = 2026-01-15,
//! 18 m = 2026-07-15, 2 y = 2027-01-15, 3 y = 2028-01-15, 4 y = 2029-01-15, 6 y = 2031-01-15.

use super::*;

const BIRTH: &str = "2025-01-15";

fn date(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

fn input(birth: &str, as_of: &str, given: &[&str]) -> ScheduleInput {
    let mut input = ScheduleInput::new(date(birth), date(as_of));
    input.given = given
        .iter()
        .map(|g| parse_given(g).expect("test record"))
        .collect();
    input
}

fn run(input: &ScheduleInput) -> Schedule {
    compute(Edition::current(), input).expect("valid input")
}

fn at(as_of: &str, given: &[&str]) -> Schedule {
    run(&input(BIRTH, as_of, given))
}

fn dose<'a>(schedule: &'a Schedule, vaccine: &str, number: u8) -> &'a DoseStatus {
    schedule
        .doses
        .iter()
        .find(|d| d.vaccine == vaccine && d.dose == number)
        .unwrap_or_else(|| panic!("{vaccine} dose {number} missing"))
}

fn has(schedule: &Schedule, vaccine: &str) -> bool {
    schedule.doses.iter().any(|d| d.vaccine == vaccine)
}

/// earliest, recommended, complete_by of a pending dose.
fn assert_dates(d: &DoseStatus, earliest: &str, recommended: &str, complete_by: Option<&str>) {
    let what = format!("{} dose {}", d.vaccine, d.dose);
    assert_eq!(d.earliest, Some(date(earliest)), "{what} earliest");
    assert_eq!(d.recommended, Some(date(recommended)), "{what} recommended");
    assert_eq!(d.complete_by, complete_by.map(date), "{what} complete_by");
}

fn assert_status(d: &DoseStatus, status: Status, code: Option<ReasonCode>) {
    let what = format!("{} dose {}", d.vaccine, d.dose);
    assert_eq!(d.status, status, "{what} status ({:?})", d.reason);
    assert_eq!(d.reason_code, code, "{what} reason ({:?})", d.reason);
    assert_eq!(d.reason.is_some(), code.is_some(), "{what} reason text");
}

fn error_of(input: &ScheduleInput) -> ScheduleError {
    compute(Edition::current(), input).expect_err("input should be refused")
}

// ---------------------------------------------------------------- age arithmetic

#[test]
fn month_ages_clamp_to_the_last_day_of_the_month() {
    let one_month = Age {
        months: 1,
        ..Age::default()
    };
    assert_eq!(
        one_month.after(date("2024-01-31")),
        Some(date("2024-02-29"))
    );
    assert_eq!(
        one_month.after(date("2023-01-31")),
        Some(date("2023-02-28"))
    );
    // Born Jan 31: HepB dose 2 ("1 month") falls on Feb 28/29.
    let s = run(&input("2023-01-31", "2023-01-31", &[]));
    assert_eq!(dose(&s, "HepB", 2).earliest, Some(date("2023-02-28")));
}

#[test]
fn years_and_months_are_added_in_one_step() {
    let age = Age {
        years: 13,
        months: 6,
        ..Age::default()
    };
    // 162 months from a leap day; adding 13 y then 6 m would clamp twice (to Aug 28).
    assert_eq!(age.after(date("2012-02-29")), Some(date("2025-08-29")));
}

#[test]
fn complete_by_is_the_day_before_the_age_is_reached() {
    let three_months = Age {
        months: 3,
        ..Age::default()
    };
    assert_eq!(
        three_months.last_day_below(date("2024-01-31")),
        Some(date("2024-04-29"))
    );
    let on_time = run(&input("2024-01-31", "2024-04-29", &[]));
    assert_status(dose(&on_time, "BCG", 1), Status::Due, None);
    let late = run(&input("2024-01-31", "2024-04-30", &[]));
    assert_eq!(dose(&late, "BCG", 1).status, Status::Overdue);
}

#[test]
fn hours_round_down_for_earliest_and_leniently_up_for_complete_by() {
    let birth = date(BIRTH);
    let hours = |hours| Age {
        hours,
        ..Age::default()
    };
    assert_eq!(hours(0).after(birth), Some(birth));
    assert_eq!(hours(24).last_day_below(birth), Some(date("2025-01-16")));
    assert_eq!(hours(12).last_day_below(birth), Some(date("2025-01-16")));
    assert_eq!(hours(36).last_day_below(birth), Some(date("2025-01-17")));
}

#[test]
fn ages_display_for_reasons() {
    let age = Age {
        years: 1,
        months: 6,
        days: 28,
        ..Age::default()
    };
    assert_eq!(age.to_string(), "1 year 6 months 28 days");
    assert_eq!(Age::default().to_string(), "0 days");
}

#[test]
fn dates_out_of_range_are_an_error_not_a_panic() {
    let birth = NaiveDate::MAX - chrono::Days::new(10);
    let input = ScheduleInput::new(birth, birth);
    assert_eq!(error_of(&input), ScheduleError::DateOutOfRange);
}

// ---------------------------------------------------------------- HepB

#[test]
fn hepb_dose1_at_birth_within_24_hours() {
    let s = at(BIRTH, &[]);
    let d1 = dose(&s, "HepB", 1);
    assert_dates(d1, BIRTH, BIRTH, Some("2025-01-16"));
    assert_status(d1, Status::Due, None);
    assert_eq!(dose(&at("2025-01-16", &[]), "HepB", 1).status, Status::Due);
    let late = at("2025-01-17", &[]);
    assert_status(
        dose(&late, "HepB", 1),
        Status::Overdue,
        Some(ReasonCode::CatchUp),
    );
}

#[test]
fn hepb_dose2_at_1_month_and_28_days_after_dose1() {
    let s = at(BIRTH, &[]);
    assert_dates(dose(&s, "HepB", 2), "2025-02-15", "2025-02-15", None);
    let s = at("2025-02-20", &["HepB:1:2025-02-01"]);
    let d2 = dose(&s, "HepB", 2);
    assert_dates(d2, "2025-03-01", "2025-03-01", None);
    assert_status(d2, Status::NotYetDue, Some(ReasonCode::MinInterval));
}

#[test]
fn hepb_dose3_at_6_months_and_60_days_after_dose2() {
    let s = at("2025-07-01", &["HepB:1:2025-01-15", "HepB:2:2025-06-20"]);
    let d3 = dose(&s, "HepB", 3);
    assert_dates(d3, "2025-08-19", "2025-08-19", Some("2026-01-14"));
    assert_status(d3, Status::NotYetDue, Some(ReasonCode::MinInterval));
    let on_time = at("2025-07-15", &["HepB:1:2025-01-15", "HepB:2:2025-02-15"]);
    assert_dates(
        dose(&on_time, "HepB", 3),
        "2025-07-15",
        "2025-07-15",
        Some("2026-01-14"),
    );
}

#[test]
fn hepb_dose3_4_months_after_dose1() {
    let s = at("2025-07-20", &["HepB:1:2025-04-01", "HepB:2:2025-04-29"]);
    let d3 = dose(&s, "HepB", 3);
    // d2 + 60 d = 2025-06-28, 6 m = 2025-07-15, d1 + 4 m = 2025-08-01 wins.
    assert_dates(d3, "2025-08-01", "2025-08-01", Some("2026-01-14"));
    assert_status(d3, Status::NotYetDue, Some(ReasonCode::MinInterval));
}

#[test]
fn hepb_dose3_complete_by_12_months() {
    let given = ["HepB:1:2025-01-15", "HepB:2:2025-02-15"];
    assert_eq!(
        dose(&at("2026-01-14", &given), "HepB", 3).status,
        Status::Due
    );
    let late = at("2026-01-15", &given);
    assert_status(
        dose(&late, "HepB", 3),
        Status::Overdue,
        Some(ReasonCode::CatchUp),
    );
}

// ---------------------------------------------------------------- BCG

#[test]
fn bcg_at_birth_complete_by_3_months() {
    let s = at(BIRTH, &[]);
    assert_dates(dose(&s, "BCG", 1), BIRTH, BIRTH, Some("2025-04-14"));
    assert_eq!(dose(&at("2025-04-14", &[]), "BCG", 1).status, Status::Due);
}

#[test]
fn bcg_catch_up_after_3_months_needs_a_negative_ppd_test() {
    let s = at("2026-01-15", &[]);
    let bcg = dose(&s, "BCG", 1);
    assert_status(bcg, Status::Overdue, Some(ReasonCode::CatchUpRequiresTest));
    assert!(bcg.reason.as_deref().is_some_and(|r| r.contains("PPD")));
}

#[test]
fn bcg_is_not_caught_up_from_4_years() {
    let before = at("2029-01-14", &[]);
    assert_eq!(dose(&before, "BCG", 1).status, Status::Overdue);
    assert_eq!(
        dose(&before, "BCG", 1).not_given_from,
        Some(date("2029-01-15"))
    );
    let s = at("2029-01-15", &[]);
    let bcg = dose(&s, "BCG", 1);
    assert_status(bcg, Status::NotApplicable, Some(ReasonCode::AgeLimit));
    assert_eq!(bcg.earliest, None);
}

// ---------------------------------------------------------------- polio

#[test]
fn polio_ipv_at_2_and_3_months_bopv_at_4_months_and_4_years() {
    let s = at(BIRTH, &[]);
    assert_dates(dose(&s, "Polio", 1), "2025-03-15", "2025-03-15", None);
    assert_dates(dose(&s, "Polio", 2), "2025-04-15", "2025-04-15", None);
    assert_dates(
        dose(&s, "Polio", 3),
        "2025-05-15",
        "2025-05-15",
        Some("2026-01-14"),
    );
    assert_dates(
        dose(&s, "Polio", 4),
        "2029-01-15",
        "2029-01-15",
        Some("2030-01-14"),
    );
}

#[test]
fn polio_doses_28_days_apart() {
    let s = at("2025-05-01", &["Polio:1:2025-04-10"]);
    let d2 = dose(&s, "Polio", 2);
    assert_dates(d2, "2025-05-08", "2025-05-08", None);
    assert_status(d2, Status::NotYetDue, Some(ReasonCode::MinInterval));
    // Dose 3 projects from dose 2's earliest date.
    assert_dates(
        dose(&s, "Polio", 3),
        "2025-06-05",
        "2025-06-05",
        Some("2026-01-14"),
    );
    // Dose 4: the table has no interval, the catch-up rule's 28 days still holds.
    let s = at("2029-01-10", &["Polio:3:2029-01-05"]);
    assert_dates(
        dose(&s, "Polio", 4),
        "2029-02-02",
        "2029-02-02",
        Some("2030-01-14"),
    );
}

#[test]
fn polio_dose4_not_needed_after_four_ipv_containing_doses() {
    let given = [
        "DTaP-IPV/Hib:1:2025-03-15",
        "DTaP-IPV/Hib:2:2025-04-15",
        "DTaP-IPV/Hib:3:2025-05-15",
        "DTaP-IPV/Hib:4:2026-07-15",
    ];
    let s = at("2026-08-01", &given);
    for n in 1..=3 {
        assert_eq!(dose(&s, "Polio", n).status, Status::Done);
    }
    let d4 = dose(&s, "Polio", 4);
    assert_status(d4, Status::NotApplicable, Some(ReasonCode::SeriesComplete));
    for n in 1..=4 {
        assert_eq!(dose(&s, "DTaP", n).status, Status::Done);
        assert_eq!(dose(&s, "Hib", n).status, Status::Done);
    }
    assert_eq!(dose(&s, "DTaP", 5).status, Status::NotYetDue);

    // Plain Polio 1-2 are IPV; with IPV 3 and a 5-in-1 booster that makes four.
    let mixed = [
        "Polio:1:2025-03-15",
        "Polio:2:2025-04-15",
        "IPV:3:2025-05-15",
        "DTaP-IPV/Hib:4:2026-07-15",
    ];
    let s = at("2026-08-01", &mixed);
    assert_eq!(dose(&s, "Polio", 4).status, Status::NotApplicable);
}

#[test]
fn polio_dose4_still_needed_after_fewer_than_four_ipv_doses() {
    let three_ipv = ["IPV:1:2025-03-15", "IPV:2:2025-04-15", "IPV:3:2025-05-15"];
    let s = at("2029-02-01", &three_ipv);
    assert_status(dose(&s, "Polio", 4), Status::Due, None);
    let table = [
        "Polio:1:2025-03-15",
        "Polio:2:2025-04-15",
        "bOPV:3:2025-05-15",
    ];
    let s = at("2029-02-01", &table);
    assert_eq!(dose(&s, "Polio", 4).status, Status::Due);
}

// ---------------------------------------------------------------- DTaP (2025+ schedule)

#[test]
fn dtap_2025_schedule_2_4_6_18_months_and_6_years() {
    let s = at(BIRTH, &[]);
    assert_dates(dose(&s, "DTaP", 1), "2025-03-15", "2025-03-15", None);
    assert_dates(dose(&s, "DTaP", 2), "2025-05-15", "2025-05-15", None);
    assert_dates(
        dose(&s, "DTaP", 3),
        "2025-07-15",
        "2025-07-15",
        Some("2026-01-14"),
    );
    assert_dates(
        dose(&s, "DTaP", 4),
        "2026-07-15",
        "2026-07-15",
        Some("2027-01-14"),
    );
    assert_dates(
        dose(&s, "DTaP", 5),
        "2031-01-15",
        "2031-01-15",
        Some("2032-01-14"),
    );
    assert_eq!(s.doses.iter().filter(|d| d.vaccine == "DTaP").count(), 5);
    assert!(!has(&s, "DT"), "DT is no longer a routine dose");
}

#[test]
fn dtap_first_three_doses_28_days_apart() {
    let s = at("2025-05-01", &["DTaP:1:2025-05-01"]);
    let d2 = dose(&s, "DTaP", 2);
    assert_dates(d2, "2025-05-29", "2025-05-29", None);
    assert_status(d2, Status::NotYetDue, Some(ReasonCode::MinInterval));
    let s = at("2025-07-01", &["DTaP:1:2025-05-01", "DTaP:2:2025-07-01"]);
    assert_dates(
        dose(&s, "DTaP", 3),
        "2025-07-29",
        "2025-07-29",
        Some("2026-01-14"),
    );
}

#[test]
fn dtap_dose4_6_months_after_dose3() {
    let s = at("2026-07-20", &["DTaP:3:2026-03-01"]);
    let d4 = dose(&s, "DTaP", 4);
    assert_dates(d4, "2026-09-01", "2026-09-01", Some("2027-01-14"));
    assert_status(d4, Status::NotYetDue, Some(ReasonCode::MinInterval));
}

#[test]
fn dtap_dose5_12_months_after_dose4_is_marked_unverified() {
    let s = at("2031-02-01", &["DTaP:4:2030-06-01"]);
    let d5 = dose(&s, "DTaP", 5);
    assert_dates(d5, "2031-06-01", "2031-06-01", Some("2032-01-14"));
    assert_eq!(d5.reason_code, Some(ReasonCode::MinInterval));
    assert_eq!(d5.verification, VerificationLevel::Unverified);
}

#[test]
fn dtap_is_not_given_from_7_years() {
    let before = at("2032-01-14", &[]);
    assert_eq!(dose(&before, "DTaP", 5).status, Status::Due);
    let s = at("2032-01-15", &[]);
    for n in 1..=5 {
        let d = dose(&s, "DTaP", n);
        assert_status(d, Status::NotApplicable, Some(ReasonCode::AgeLimit));
        assert!(d.verification <= VerificationLevel::Secondary);
    }
}

// ---------------------------------------------------------------- MMR

#[test]
fn mmr_at_8_and_18_months() {
    let s = at(BIRTH, &[]);
    assert_dates(
        dose(&s, "MMR", 1),
        "2025-09-15",
        "2025-09-15",
        Some("2026-01-14"),
    );
    assert_dates(
        dose(&s, "MMR", 2),
        "2026-07-15",
        "2026-07-15",
        Some("2027-01-14"),
    );
}

#[test]
fn mmr_doses_28_days_apart() {
    let s = at("2026-07-01", &["MMR:1:2026-07-01"]);
    let d2 = dose(&s, "MMR", 2);
    assert_dates(d2, "2026-07-29", "2026-07-29", Some("2027-01-14"));
    assert_status(d2, Status::NotYetDue, Some(ReasonCode::MinInterval));
}

// ---------------------------------------------------------------- JE-L / JE-I

#[test]
fn je_l_at_8_months_and_2_years_12_months_apart() {
    let s = at(BIRTH, &[]);
    assert_dates(
        dose(&s, "JE-L", 1),
        "2025-09-15",
        "2025-09-15",
        Some("2026-01-14"),
    );
    assert_dates(
        dose(&s, "JE-L", 2),
        "2027-01-15",
        "2027-01-15",
        Some("2028-01-14"),
    );
    let s = at("2026-07-01", &["JE-L:1:2026-06-01"]);
    let d2 = dose(&s, "JE-L", 2);
    assert_dates(d2, "2027-06-01", "2027-06-01", Some("2028-01-14"));
    assert_eq!(d2.reason_code, Some(ReasonCode::MinInterval));
}

#[test]
fn je_l_is_the_default_and_je_i_is_not_applicable() {
    let s = at(BIRTH, &[]);
    assert_eq!(dose(&s, "JE-L", 1).status, Status::NotYetDue);
    for n in 1..=4 {
        let d = dose(&s, "JE-I", n);
        assert_status(
            d,
            Status::NotApplicable,
            Some(ReasonCode::AlternativeChosen),
        );
    }
}

#[test]
fn choosing_je_i_makes_je_l_not_applicable() {
    let mut choice = input(BIRTH, BIRTH, &[]);
    choice.chosen_alternatives = vec!["JE-I".into()];
    let s = run(&choice);
    for n in 1..=2 {
        let d = dose(&s, "JE-L", n);
        assert_status(
            d,
            Status::NotApplicable,
            Some(ReasonCode::AlternativeChosen),
        );
    }
    assert_dates(dose(&s, "JE-I", 1), "2025-09-15", "2025-09-15", None);
    // 7-10 days after dose 1.
    let d2 = dose(&s, "JE-I", 2);
    assert_dates(d2, "2025-09-22", "2025-09-22", Some("2025-09-25"));
    assert_eq!(d2.reason_code, Some(ReasonCode::MinInterval));
    assert_dates(
        dose(&s, "JE-I", 3),
        "2027-01-15",
        "2027-01-15",
        Some("2028-01-14"),
    );
    assert_dates(
        dose(&s, "JE-I", 4),
        "2031-01-15",
        "2031-01-15",
        Some("2032-01-14"),
    );
}

#[test]
fn a_recorded_alternative_overrides_the_choice() {
    let mut choice = input(BIRTH, "2025-09-20", &["JE-I:1:2025-09-16"]);
    choice.chosen_alternatives = vec!["JE-L".into()];
    let s = run(&choice);
    let je_l = dose(&s, "JE-L", 1);
    assert_status(
        je_l,
        Status::NotApplicable,
        Some(ReasonCode::AlternativeChosen),
    );
    assert!(
        je_l.reason
            .as_deref()
            .is_some_and(|r| r.contains("recorded"))
    );
    let d2 = dose(&s, "JE-I", 2);
    assert_dates(d2, "2025-09-23", "2025-09-23", Some("2025-09-26"));
    assert_eq!(d2.status, Status::NotYetDue);
}

#[test]
fn je_i_dose3_one_month_after_dose2_and_dose4_three_years_after_dose3() {
    let given = ["JE-I:1:2026-12-20", "JE-I:2:2026-12-31"];
    let s = at("2027-01-20", &given);
    assert_dates(
        dose(&s, "JE-I", 3),
        "2027-01-31",
        "2027-01-31",
        Some("2028-01-14"),
    );
    let s = at("2028-07-01", &["JE-I:3:2028-06-01"]);
    let d4 = dose(&s, "JE-I", 4);
    assert_dates(d4, "2031-06-01", "2031-06-01", Some("2032-01-14"));
    assert_eq!(d4.reason_code, Some(ReasonCode::MinInterval));
}

// ---------------------------------------------------------------- MPSV-A / MPSV-AC

#[test]
fn mpsv_a_at_6_and_9_months_3_months_apart() {
    let s = at(BIRTH, &[]);
    assert_dates(
        dose(&s, "MPSV-A", 1),
        "2025-07-15",
        "2025-07-15",
        Some("2026-01-14"),
    );
    assert_dates(
        dose(&s, "MPSV-A", 2),
        "2025-10-15",
        "2025-10-15",
        Some("2027-01-14"),
    );
    let s = at("2025-10-20", &["MPSV-A:1:2025-09-01"]);
    let d2 = dose(&s, "MPSV-A", 2);
    assert_dates(d2, "2025-12-01", "2025-12-01", Some("2027-01-14"));
    assert_status(d2, Status::NotYetDue, Some(ReasonCode::MinInterval));
}

#[test]
fn mpsv_a_is_not_given_from_24_months() {
    let before = at("2027-01-14", &["MPSV-A:1:2025-07-15"]);
    assert_eq!(dose(&before, "MPSV-A", 2).status, Status::Due);
    let s = at("2027-01-15", &["MPSV-A:1:2025-07-15"]);
    let d2 = dose(&s, "MPSV-A", 2);
    assert_status(d2, Status::NotApplicable, Some(ReasonCode::AgeLimit));
    assert_eq!(d2.not_given_from, Some(date("2027-01-15")));
    // A dose that could only come after the limit is never scheduled.
    let s = at("2026-12-10", &["MPSV-A:1:2026-12-01"]);
    assert_eq!(dose(&s, "MPSV-A", 2).status, Status::NotApplicable);
}

#[test]
fn mpsv_ac_at_3_and_6_years_3_years_apart() {
    let given = ["MPSV-A:1:2025-07-15", "MPSV-A:2:2025-10-15"];
    let s = at("2027-01-15", &given);
    assert_dates(
        dose(&s, "MPSV-AC", 1),
        "2028-01-15",
        "2028-01-15",
        Some("2029-01-14"),
    );
    assert_dates(
        dose(&s, "MPSV-AC", 2),
        "2031-01-15",
        "2031-01-15",
        Some("2032-01-14"),
    );
    let s = at("2029-01-15", &["MPSV-AC:1:2028-09-01"]);
    let d2 = dose(&s, "MPSV-AC", 2);
    assert_dates(d2, "2031-09-01", "2031-09-01", Some("2032-01-14"));
    assert_eq!(d2.reason_code, Some(ReasonCode::MinInterval));
}

#[test]
fn mpsv_ac_dose1_12_months_after_mpsv_a_dose2() {
    // A late MPSV-A dose 2 that was given anyway still pushes MPSV-AC dose 1.
    let given = ["MPSV-A:1:2025-07-15", "MPSV-A:2:2027-06-01"];
    let s = at("2027-07-01", &given);
    let ac1 = dose(&s, "MPSV-AC", 1);
    assert_dates(ac1, "2028-06-01", "2028-06-01", Some("2029-01-14"));
    assert_eq!(ac1.reason_code, Some(ReasonCode::MinInterval));
}

#[test]
fn mpsv_ac_replaces_missed_mpsv_a_from_24_months() {
    let before = at("2027-01-14", &[]);
    assert_dates(
        dose(&before, "MPSV-AC", 1),
        "2028-01-15",
        "2028-01-15",
        Some("2029-01-14"),
    );
    let s = at("2027-02-01", &[]);
    let ac1 = dose(&s, "MPSV-AC", 1);
    // As early as possible, before 3 years.
    assert_dates(ac1, "2027-01-15", "2027-01-15", Some("2028-01-14"));
    assert_status(ac1, Status::Due, Some(ReasonCode::SubstitutesMissedDose));
    assert_dates(
        dose(&s, "MPSV-AC", 2),
        "2031-01-15",
        "2031-01-15",
        Some("2032-01-14"),
    );
}

#[test]
fn mpsv_ac_3_months_after_a_single_mpsv_a() {
    let s = at("2027-02-01", &["MPSV-A:1:2026-12-01"]);
    let ac1 = dose(&s, "MPSV-AC", 1);
    assert_dates(ac1, "2027-03-01", "2027-03-01", Some("2028-01-14"));
    assert_status(
        ac1,
        Status::NotYetDue,
        Some(ReasonCode::SubstitutesMissedDose),
    );
}

// ---------------------------------------------------------------- HepA-L / HepA-I

#[test]
fn hepa_l_at_18_months_complete_by_24_months() {
    let s = at(BIRTH, &[]);
    assert_dates(
        dose(&s, "HepA-L", 1),
        "2026-07-15",
        "2026-07-15",
        Some("2027-01-14"),
    );
    for n in 1..=2 {
        let d = dose(&s, "HepA-I", n);
        assert_status(
            d,
            Status::NotApplicable,
            Some(ReasonCode::AlternativeChosen),
        );
    }
}

#[test]
fn hepa_i_two_doses_6_months_apart() {
    let mut choice = input(BIRTH, "2026-10-01", &["HepA-I:1:2026-10-01"]);
    choice.chosen_alternatives = vec!["HepA-I".into()];
    let s = run(&choice);
    let hepa_l = dose(&s, "HepA-L", 1);
    assert_status(
        hepa_l,
        Status::NotApplicable,
        Some(ReasonCode::AlternativeChosen),
    );
    let d2 = dose(&s, "HepA-I", 2);
    assert_dates(d2, "2027-04-01", "2027-04-01", Some("2028-01-14"));
    assert_eq!(d2.reason_code, Some(ReasonCode::MinInterval));
    let fresh = {
        let mut i = input(BIRTH, BIRTH, &[]);
        i.chosen_alternatives = vec!["HepA-I".into()];
        run(&i)
    };
    assert_dates(
        dose(&fresh, "HepA-I", 1),
        "2026-07-15",
        "2026-07-15",
        Some("2027-01-14"),
    );
    assert_dates(
        dose(&fresh, "HepA-I", 2),
        "2027-01-15",
        "2027-01-15",
        Some("2028-01-14"),
    );
}

#[test]
fn one_hepa_i_then_one_hepa_l_completes_hepatitis_a() {
    let given = ["HepA-I:1:2026-07-15", "HepA-L:1:2027-02-01"];
    let s = at("2027-03-01", &given);
    assert_eq!(dose(&s, "HepA-I", 1).status, Status::Done);
    assert_eq!(dose(&s, "HepA-L", 1).status, Status::Done);
    let d2 = dose(&s, "HepA-I", 2);
    assert_status(
        d2,
        Status::NotApplicable,
        Some(ReasonCode::AlternativeChosen),
    );
}

// ---------------------------------------------------------------- HPV2

#[test]
fn hpv2_for_girls_at_13_years_second_dose_6_to_12_months_later() {
    let mut girl = input(BIRTH, BIRTH, &[]);
    girl.sex = Some(Sex::Female);
    let s = run(&girl);
    assert_dates(
        dose(&s, "HPV2", 1),
        "2038-01-15",
        "2038-01-15",
        Some("2039-01-14"),
    );
    assert_dates(
        dose(&s, "HPV2", 2),
        "2038-07-15",
        "2038-07-15",
        Some("2039-01-15"),
    );
    let mut late = input(BIRTH, "2038-06-01", &["HPV2:1:2038-05-01"]);
    late.sex = Some(Sex::Female);
    let s = run(&late);
    let d2 = dose(&s, "HPV2", 2);
    assert_dates(d2, "2038-11-01", "2038-11-01", Some("2039-05-01"));
    assert_eq!(d2.reason_code, Some(ReasonCode::MinInterval));
    assert_eq!(d2.verification, VerificationLevel::Secondary);
}

#[test]
fn hpv2_is_not_for_boys_and_kept_when_sex_is_unknown() {
    let mut boy = input(BIRTH, BIRTH, &[]);
    boy.sex = Some(Sex::Male);
    let s = run(&boy);
    for n in 1..=2 {
        let d = dose(&s, "HPV2", n);
        assert_status(d, Status::NotApplicable, Some(ReasonCode::NotForSex));
    }
    let unknown = at(BIRTH, &[]);
    assert_eq!(dose(&unknown, "HPV2", 1).status, Status::NotYetDue);
}

#[test]
fn hpv2_catch_up_ends_at_18_years() {
    let mut girl = input(BIRTH, "2043-01-14", &[]);
    girl.sex = Some(Sex::Female);
    assert_eq!(dose(&run(&girl), "HPV2", 1).status, Status::Overdue);
    girl.as_of = date("2043-01-15");
    let s = run(&girl);
    assert_status(
        dose(&s, "HPV2", 1),
        Status::NotApplicable,
        Some(ReasonCode::AgeLimit),
    );
}

// ---------------------------------------------------------------- 28-day rule between injectable live vaccines

#[test]
fn injectable_live_vaccines_not_given_the_same_day_are_28_days_apart() {
    let s = at("2025-10-05", &["MMR:1:2025-10-01"]);
    let je = dose(&s, "JE-L", 1);
    assert_dates(je, "2025-10-29", "2025-10-29", Some("2026-01-14"));
    assert_status(je, Status::NotYetDue, Some(ReasonCode::LiveVaccineInterval));
    // The other direction, and a live vaccine already due is pushed back as well.
    let s = at("2026-07-20", &["MMR:1:2025-09-15", "HepA-L:1:2026-07-15"]);
    let mmr2 = dose(&s, "MMR", 2);
    assert_dates(mmr2, "2026-08-12", "2026-08-12", Some("2027-01-14"));
    assert_eq!(mmr2.reason_code, Some(ReasonCode::LiveVaccineInterval));
}

#[test]
fn live_vaccines_given_the_same_day_are_fine() {
    let s = at("2025-09-20", &["MMR:1:2025-09-15", "JE-L:1:2025-09-15"]);
    assert_eq!(dose(&s, "MMR", 1).status, Status::Done);
    assert_eq!(dose(&s, "JE-L", 1).status, Status::Done);
    assert_dates(
        dose(&s, "JE-L", 1),
        "2025-09-15",
        "2025-09-15",
        Some("2026-01-14"),
    );
}

#[test]
fn inactivated_and_oral_vaccines_ignore_the_live_rule() {
    let mut choice = input(BIRTH, "2025-09-20", &["MMR:1:2025-09-10"]);
    choice.chosen_alternatives = vec!["JE-I".into()];
    let s = run(&choice);
    assert_dates(dose(&s, "JE-I", 1), "2025-09-15", "2025-09-15", None);
    // Oral bOPV is live but not injectable: it does not push MMR.
    let s = at("2025-09-20", &["bOPV:3:2025-09-10"]);
    assert_dates(
        dose(&s, "MMR", 1),
        "2025-09-15",
        "2025-09-15",
        Some("2026-01-14"),
    );
}

#[test]
fn varicella_counts_as_an_injectable_live_vaccine() {
    let mut with_var = input(BIRTH, "2026-01-20", &["MMR:1:2026-01-10"]);
    with_var.opted_in = vec!["VAR".into()];
    let s = run(&with_var);
    let var = dose(&s, "VAR", 1);
    assert_dates(var, "2026-02-07", "2026-02-07", None);
    assert_eq!(var.reason_code, Some(ReasonCode::LiveVaccineInterval));
}

// ---------------------------------------------------------------- catch-up and projection

#[test]
fn overdue_doses_are_caught_up_until_18_years() {
    let s = at("2030-01-15", &[]);
    let mmr = dose(&s, "MMR", 1);
    assert_status(mmr, Status::Overdue, Some(ReasonCode::CatchUp));
    assert!(
        mmr.reason
            .as_deref()
            .is_some_and(|r| r.contains("2026-01-14"))
    );
    assert_eq!(mmr.not_given_from, Some(date("2043-01-15")));
    let s = at("2043-01-15", &[]);
    assert_status(
        dose(&s, "MMR", 1),
        Status::NotApplicable,
        Some(ReasonCode::AgeLimit),
    );
    assert!(s.doses.iter().all(|d| d.status == Status::NotApplicable));
    assert_eq!(next_event_date(&s), None);
}

#[test]
fn pending_doses_project_from_the_previous_dose_not_from_as_of() {
    // Nothing recorded at 2 years: dose 2 is placed after dose 1's *earliest* date.
    let s = at("2027-01-15", &[]);
    assert_dates(dose(&s, "HepB", 2), "2025-02-15", "2025-02-15", None);
    assert_eq!(dose(&s, "HepB", 2).status, Status::Due);
    assert_eq!(dose(&s, "HepB", 3).status, Status::Overdue);
    // Once dose 1 is recorded, the chain uses its actual date.
    let s = at("2027-01-15", &["HepB:1:2027-01-15"]);
    assert_dates(dose(&s, "HepB", 2), "2027-02-12", "2027-02-12", None);
    assert_dates(
        dose(&s, "HepB", 3),
        "2027-05-15",
        "2027-05-15",
        Some("2026-01-14"),
    );
    // Late enough that the on-time window is gone: not yet due, then overdue.
    assert_eq!(dose(&s, "HepB", 3).status, Status::NotYetDue);
    let later = at("2027-05-15", &["HepB:1:2027-01-15"]);
    assert_eq!(dose(&later, "HepB", 3).status, Status::Overdue);
}

#[test]
fn earliest_chains_on_earliest_and_recommended_on_recommended() {
    let mut pcv = input(BIRTH, BIRTH, &[]);
    pcv.opted_in = vec!["PCV13".into()];
    let s = run(&pcv);
    // Dose 1 from 6 weeks, recommended at 2 months.
    assert_dates(
        dose(&s, "PCV13", 1),
        "2025-02-26",
        "2025-03-15",
        Some("2025-08-14"),
    );
    assert_dates(dose(&s, "PCV13", 2), "2025-03-26", "2025-05-15", None);
    assert_dates(
        dose(&s, "PCV13", 4),
        "2026-01-15",
        "2026-01-15",
        Some("2026-05-14"),
    );
}

// ---------------------------------------------------------------- self-paid vaccines

#[test]
fn self_paid_vaccines_join_only_when_opted_in_or_recorded() {
    let s = at(BIRTH, &[]);
    assert!(!has(&s, "PCV13") && !has(&s, "RV5") && !has(&s, "VAR"));
    assert!(s.doses.iter().all(|d| d.programme == Programme::Nip));
    let mut opted = input(BIRTH, BIRTH, &[]);
    opted.opted_in = vec!["PCV13".into(), "EV71".into()];
    let s = run(&opted);
    let pcv = dose(&s, "PCV13", 1);
    assert_eq!(pcv.programme, Programme::SelfPaid);
    assert_eq!(pcv.verification, VerificationLevel::Unverified);
    assert!(has(&s, "EV71") && !has(&s, "RV5"));
    let recorded = at("2025-03-01", &["RV5:1:2025-02-28"]);
    assert_eq!(dose(&recorded, "RV5", 1).status, Status::Done);
}

#[test]
fn every_self_paid_dose_is_marked_unverified() {
    let mut all = input(BIRTH, BIRTH, &[]);
    all.opted_in = ["PCV13", "Hib", "RV5", "LLR", "EV71", "VAR"]
        .map(String::from)
        .to_vec();
    let s = run(&all);
    let self_paid: Vec<_> = s
        .doses
        .iter()
        .filter(|d| d.programme == Programme::SelfPaid)
        .collect();
    assert_eq!(self_paid.len(), 4 + 4 + 3 + 3 + 2 + 2);
    assert!(
        self_paid
            .iter()
            .all(|d| d.verification == VerificationLevel::Unverified)
    );
}

#[test]
fn rotavirus_dose1_window_closes_at_13_weeks() {
    let mut rv = input(BIRTH, "2025-04-15", &[]);
    rv.opted_in = vec!["RV5".into()];
    let s = run(&rv);
    let d1 = dose(&s, "RV5", 1);
    assert_dates(d1, "2025-02-26", "2025-02-26", Some("2025-04-15"));
    assert_status(d1, Status::Due, None);
    rv.as_of = date("2025-04-16");
    let s = run(&rv);
    for n in 1..=3 {
        let d = dose(&s, "RV5", n);
        assert_status(d, Status::NotApplicable, Some(ReasonCode::AgeLimit));
    }
}

#[test]
fn rotavirus_doses_4_to_10_weeks_apart_and_done_by_32_weeks() {
    let given = ["RV5:1:2025-03-12", "RV5:2:2025-04-09"];
    let s = at("2025-05-01", &given);
    let d3 = dose(&s, "RV5", 3);
    assert_dates(d3, "2025-05-07", "2025-05-07", Some("2025-06-18"));
    assert_eq!(d3.not_given_from, Some(date("2025-08-27")));
    let s = at("2025-08-27", &given);
    assert_status(
        dose(&s, "RV5", 3),
        Status::NotApplicable,
        Some(ReasonCode::AgeLimit),
    );
}

#[test]
fn ev71_upper_age_uses_the_stricter_label() {
    let mut ev = input(BIRTH, "2028-01-14", &[]);
    ev.opted_in = vec!["EV71".into()];
    assert_eq!(dose(&run(&ev), "EV71", 1).status, Status::Due);
    ev.as_of = date("2028-01-15");
    let s = run(&ev);
    assert_status(
        dose(&s, "EV71", 1),
        Status::NotApplicable,
        Some(ReasonCode::AgeLimit),
    );
}

#[test]
fn opting_into_a_combination_product_adds_its_self_paid_parts() {
    let mut five = input(BIRTH, BIRTH, &[]);
    five.opted_in = vec!["DTaP-IPV/Hib".into()];
    let s = run(&five);
    assert_eq!(dose(&s, "Hib", 1).programme, Programme::SelfPaid);
}

// ---------------------------------------------------------------- validation

#[test]
fn a_dose_before_birth_is_refused() {
    let err = error_of(&input(BIRTH, BIRTH, &["HepB:1:2025-01-14"]));
    assert_eq!(err.code(), "dose_before_birth");
}

#[test]
fn unknown_vaccines_and_doses_are_refused() {
    assert_eq!(
        error_of(&input(BIRTH, BIRTH, &["Foo:1:2025-02-01"])).code(),
        "unknown_vaccine"
    );
    assert_eq!(
        error_of(&input(BIRTH, BIRTH, &["HepB:4:2025-02-01"])).code(),
        "unknown_dose"
    );
    assert_eq!(
        error_of(&input(BIRTH, BIRTH, &["DTaP-IPV/Hib:5:2025-02-01"])).code(),
        "unknown_dose"
    );
    let mut opted = input(BIRTH, BIRTH, &[]);
    opted.opted_in = vec!["Nope".into()];
    assert_eq!(error_of(&opted).code(), "unknown_vaccine");
}

#[test]
fn a_dose_recorded_twice_is_refused() {
    let twice = input(BIRTH, BIRTH, &["HepB:1:2025-01-15", "HepB:1:2025-01-16"]);
    assert_eq!(error_of(&twice).code(), "duplicate_dose");
    let via_product = input(BIRTH, BIRTH, &["Polio:1:2025-03-15", "IPV:1:2025-03-15"]);
    assert_eq!(error_of(&via_product).code(), "duplicate_dose");
}

#[test]
fn alternatives_must_be_real_and_exclusive() {
    let mut choice = input(BIRTH, BIRTH, &[]);
    choice.chosen_alternatives = vec!["HepB".into()];
    assert_eq!(error_of(&choice).code(), "not_an_alternative");
    choice.chosen_alternatives = vec!["JE-L".into(), "JE-I".into()];
    assert_eq!(error_of(&choice).code(), "conflicting_alternatives");
    choice.chosen_alternatives = vec!["JE-X".into()];
    assert_eq!(error_of(&choice).code(), "unknown_vaccine");
    choice.chosen_alternatives = vec!["JE-I".into(), "HepA-I".into(), "JE-I".into()];
    assert!(compute(Edition::current(), &choice).is_ok());
}

#[test]
fn parse_given_reads_the_cli_form() {
    let given = parse_given(" DTaP-IPV/Hib:2:2025-04-15 ").expect("valid");
    assert_eq!(
        given,
        GivenDose {
            vaccine: "DTaP-IPV/Hib".into(),
            dose: 2,
            date: date("2025-04-15"),
        }
    );
    for bad in [
        "",
        "HepB",
        "HepB:1",
        ":1:2025-01-01",
        "HepB:0:2025-01-01",
        "HepB:-1:2025-01-01",
        "HepB:300:2025-01-01",
        "HepB:1:2025-02-30",
        "HepB:1:15/01/2025",
    ] {
        let err = parse_given(bad).expect_err(bad);
        assert_eq!(err.code(), "invalid_given_format", "{bad}");
    }
}

#[test]
fn error_codes_are_stable() {
    let codes = [
        (ScheduleError::InvalidEdition("x".into()), "invalid_edition"),
        (ScheduleError::DateOutOfRange, "date_out_of_range"),
        (
            ScheduleError::NotAnAlternative {
                vaccine: "HepB".into(),
            },
            "not_an_alternative",
        ),
    ];
    for (error, code) in codes {
        assert_eq!(error.code(), code);
    }
}

// ---------------------------------------------------------------- edition data

#[test]
fn embedded_edition_is_valid() {
    let edition = Edition::from_json(edition::NIP_2026_JSON).expect("embedded edition");
    assert_eq!(edition.id(), "nip-2026");
    assert_eq!(Edition::current().id(), "nip-2026");
}

#[test]
fn edition_has_the_reference_vaccine_ids() {
    let ids: Vec<&str> = Edition::current()
        .vaccines()
        .iter()
        .map(|v| v.id.as_str())
        .collect();
    let nip = [
        "HepB", "BCG", "Polio", "DTaP", "MMR", "JE-L", "JE-I", "MPSV-A", "MPSV-AC", "HepA-L",
        "HepA-I", "HPV2",
    ];
    assert_eq!(&ids[..nip.len()], nip);
    for self_paid in ["PCV13", "Hib", "RV5", "LLR", "EV71", "VAR"] {
        assert!(ids.contains(&self_paid), "{self_paid}");
    }
}

#[test]
fn every_dose_keeps_its_source_and_verification() {
    let edition = Edition::current();
    for vaccine in edition.vaccines() {
        for d in &vaccine.doses {
            assert!(!d.source.is_empty(), "{} dose {}", vaccine.id, d.dose);
            if vaccine.programme == Programme::SelfPaid {
                assert_eq!(d.verification.level, VerificationLevel::Unverified);
            }
        }
    }
    let s = at(BIRTH, &[]);
    assert_eq!(
        dose(&s, "HepB", 3).verification,
        VerificationLevel::Secondary
    );
    assert_eq!(
        dose(&s, "MPSV-A", 1).verification,
        VerificationLevel::Secondary
    );
    assert_eq!(
        dose(&s, "DTaP", 1).verification,
        VerificationLevel::AnnouncementConfirmed
    );
    assert_eq!(
        dose(&s, "DTaP", 2).verification,
        VerificationLevel::Unverified
    );
    assert_eq!(
        dose(&s, "MMR", 1).verification,
        VerificationLevel::OfficialDerived
    );
    assert_eq!(
        dose(&s, "HPV2", 1).verification,
        VerificationLevel::Secondary
    );
}

fn edited_edition(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Edition, ScheduleError> {
    let mut json: serde_json::Value =
        serde_json::from_str(edition::NIP_2026_JSON).expect("embedded edition is JSON");
    edit(&mut json);
    Edition::from_json(&json.to_string())
}

#[test]
fn bad_edition_data_is_refused() {
    let unknown_field = edited_edition(|j| j["vaccines"][0]["doses"][0]["typo"] = 1.into());
    let later_reference = edited_edition(|j| {
        j["vaccines"][0]["doses"][0]["min_intervals"] =
            serde_json::json!([{"after": {"dose": 2}, "interval": {"days": 1}}]);
    });
    let unknown_source = edited_edition(|j| j["vaccines"][0]["source"] = serde_json::json!(["X"]));
    let gap_in_doses = edited_edition(|j| j["vaccines"][0]["doses"][1]["dose"] = 5.into());
    let bad_default = edited_edition(|j| j["alternatives"][0]["default"] = "HepB".into());
    for result in [
        unknown_field,
        later_reference,
        unknown_source,
        gap_in_doses,
        bad_default,
        Edition::from_json("{"),
    ] {
        assert_eq!(result.expect_err("invalid data").code(), "invalid_edition");
    }
}

const EXAMPLE_OVERLAY: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/schedules/overlays/example-local-var.json"
));

#[test]
fn an_overlay_adds_a_local_programme_vaccine() {
    let edition = Edition::current()
        .with_overlay(EXAMPLE_OVERLAY)
        .expect("example overlay");
    assert_eq!(edition.id(), "nip-2026+example-local-var");
    let s = compute(&edition, &input(BIRTH, "2026-02-01", &[])).expect("valid");
    let var = dose(&s, "VAR", 1);
    assert_eq!(var.programme, Programme::Local);
    assert_dates(var, "2026-01-15", "2026-01-15", Some("2027-01-14"));
    assert_eq!(var.verification, VerificationLevel::Unverified);
    // Local programme doses follow the programme catch-up age.
    assert_eq!(var.not_given_from, Some(date("2043-01-15")));
    // The base edition is unchanged.
    assert!(!has(&at(BIRTH, &[]), "VAR"));
}

#[test]
fn an_overlay_can_remove_vaccines() {
    let overlay = r#"{"overlay": "no-je", "title": "JE not routine here", "remove_vaccines": ["JE-L", "JE-I"]}"#;
    let edition = Edition::current().with_overlay(overlay).expect("overlay");
    let s = compute(&edition, &input(BIRTH, BIRTH, &[])).expect("valid");
    assert!(!has(&s, "JE-L") && !has(&s, "JE-I"));
    let mut choice = input(BIRTH, BIRTH, &[]);
    choice.chosen_alternatives = vec!["JE-I".into()];
    let err = compute(&edition, &choice).expect_err("JE-I is gone");
    assert_eq!(err.code(), "unknown_vaccine");

    let bad = r#"{"overlay": "x", "title": "x", "remove_vaccines": ["Nope"]}"#;
    let err = Edition::current().with_overlay(bad).expect_err("unknown");
    assert_eq!(err.code(), "invalid_edition");
}

// ---------------------------------------------------------------- output

#[test]
fn schedule_json_has_the_agreed_shape() {
    let s = at(BIRTH, &[]);
    let json = serde_json::to_string(&s).expect("serializable");
    let expected_start = concat!(
        r#"{"as_of":"2025-01-15","doses":[{"vaccine":"HepB","dose":1,"status":"due","#,
        r#""earliest":"2025-01-15","recommended":"2025-01-15","complete_by":"2025-01-16","#,
        r#""reason":null,"reason_code":null,"#
    );
    assert!(json.starts_with(expected_start), "{json}");
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let keys: Vec<&String> = value.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["as_of", "doses"]);
    let na = serde_json::to_value(dose(&s, "JE-I", 1)).expect("JSON");
    assert_eq!(na["status"], "not_applicable");
    assert_eq!(na["reason_code"], "alternative_chosen");
    assert_eq!(na["earliest"], serde_json::Value::Null);
    let back: Schedule = serde_json::from_str(&json).expect("round trip");
    assert_eq!(back, s);
}

#[test]
fn next_event_date_is_the_next_status_change() {
    // Newborn: HepB dose 1 becomes overdue two days after birth unless recorded.
    assert_eq!(next_event_date(&at(BIRTH, &[])), Some(date("2025-01-17")));
    let s = at(BIRTH, &["HepB:1:2025-01-15", "BCG:1:2025-01-15"]);
    assert_eq!(next_event_date(&s), Some(date("2025-02-15")));
    // An overdue dose changes again when its age limit is reached.
    let s = at("2028-06-01", &[]);
    assert_eq!(dose(&s, "BCG", 1).status, Status::Overdue);
    assert!(next_event_date(&s).is_some_and(|d| d <= date("2029-01-15")));
}
