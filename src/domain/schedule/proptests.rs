//! Properties over random children and histories.

use std::collections::HashSet;

use chrono::Days;
use proptest::prelude::*;

use super::edition::Slot;
use super::*;

/// Record ids a history may use: every vaccine of the edition plus product aliases.
fn record_ids() -> Vec<(String, u8)> {
    let edition = Edition::current();
    let mut ids: Vec<(String, u8)> = edition
        .vaccines()
        .iter()
        .map(|v| (v.id.clone(), v.doses.len() as u8))
        .collect();
    for product in ["IPV", "bOPV", "DTaP-IPV/Hib", "DTaP-Hib"] {
        ids.push((product.to_string(), 4));
    }
    ids
}

fn slots_filled(record: &GivenDose) -> Vec<Slot> {
    let edition = Edition::current();
    if let Some(slot) = edition.slot_of(&record.vaccine, record.dose) {
        return vec![slot];
    }
    edition
        .product(&record.vaccine)
        .map(|p| {
            p.counts_as
                .iter()
                .filter(|t| t.doses.is_empty() || t.doses.contains(&record.dose))
                .filter_map(|t| edition.slot_of(&t.vaccine, record.dose))
                .collect()
        })
        .unwrap_or_default()
}

prop_compose! {
    /// A valid input: doses after birth, each slot filled at most once.
    fn child()(
        birth_offset in 0u64..(366 * 30),
        as_of_offset in 0u64..7000,
        picks in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=5, 0u64..6600), 0..16),
        sex in prop_oneof![Just(None), Just(Some(Sex::Female)), Just(Some(Sex::Male))],
        opted in prop::sample::subsequence(vec!["PCV13", "Hib", "RV5", "LLR", "EV71", "VAR"], 0..=6),
        je in prop_oneof![Just(None), Just(Some("JE-L")), Just(Some("JE-I"))],
        hepa in prop_oneof![Just(None), Just(Some("HepA-L")), Just(Some("HepA-I"))],
    ) -> ScheduleInput {
        let ids = record_ids();
        let birth = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid") + Days::new(birth_offset);
        let mut input = ScheduleInput::new(birth, birth + Days::new(as_of_offset));
        input.sex = sex;
        input.opted_in = opted.into_iter().map(String::from).collect();
        input.chosen_alternatives = je.into_iter().chain(hepa).map(String::from).collect();
        let mut filled: HashSet<Slot> = HashSet::new();
        for (index, dose, offset) in picks {
            let (vaccine, doses) = &ids[index.index(ids.len())];
            let record = GivenDose {
                vaccine: vaccine.clone(),
                dose: dose.min(*doses),
                date: birth + Days::new(offset),
            };
            let slots = slots_filled(&record);
            if !slots.is_empty() && slots.iter().all(|s| !filled.contains(s)) {
                filled.extend(slots);
                input.given.push(record);
            }
        }
        input
    }
}

fn rank(status: Status) -> u8 {
    match status {
        Status::Done => 0,
        Status::NotYetDue => 1,
        Status::Due => 2,
        Status::Overdue => 3,
        Status::NotApplicable => 4,
    }
}

fn statuses(schedule: &Schedule) -> Vec<(String, u8, Status)> {
    schedule
        .doses
        .iter()
        .map(|d| (d.vaccine.clone(), d.dose, d.status))
        .collect()
}

fn compute_ok(input: &ScheduleInput) -> Result<Schedule, TestCaseError> {
    compute(Edition::current(), input).map_err(|e| TestCaseError::fail(format!("{e}")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn no_dose_is_earlier_than_its_minimum_age_or_intervals(input in child()) {
        let edition = Edition::current();
        let schedule = compute_ok(&input)?;
        let find = |slot: Slot| {
            let vaccine = &edition.vaccines()[slot.0];
            schedule.doses.iter().find(|d| d.vaccine == vaccine.id && usize::from(d.dose) == slot.1 + 1)
        };
        let live_dates: Vec<NaiveDate> = input
            .given
            .iter()
            .filter(|g| slots_filled(g).iter().any(|s| edition.vaccines()[s.0].live_injectable))
            .map(|g| g.date)
            .collect();
        for d in schedule.doses.iter().filter(|d| d.status != Status::NotApplicable) {
            let slot = edition.slot_of(&d.vaccine, d.dose).expect("output dose exists");
            let vaccine = &edition.vaccines()[slot.0];
            let rule = &vaccine.doses[slot.1];
            let (Some(earliest), Some(recommended)) = (d.earliest, d.recommended) else {
                return Err(TestCaseError::fail(format!("{} {} has no dates", d.vaccine, d.dose)));
            };
            prop_assert!(earliest <= recommended);
            let substitution = rule.if_missed.as_ref().filter(|s| {
                edition
                    .resolve(slot.0, &s.replaces)
                    .and_then(find)
                    .is_some_and(|r| r.status == Status::NotApplicable)
            });
            let (min_age, intervals) = match substitution {
                Some(s) => (s.earliest_age, &s.min_intervals),
                None => (rule.earliest_age, &rule.min_intervals),
            };
            let min_age_date = min_age.after(input.birth).expect("in range");
            prop_assert!(earliest >= min_age_date, "{} {} before its minimum age", d.vaccine, d.dose);
            for interval in intervals {
                let Some(anchor) = edition.resolve(slot.0, &interval.after).and_then(find) else {
                    continue;
                };
                let from = match anchor.status {
                    Status::Done => anchor.given_on,
                    Status::NotApplicable => None,
                    _ => anchor.earliest,
                };
                if let Some(from) = from {
                    let bound = interval.interval.after(from).expect("in range");
                    prop_assert!(
                        earliest >= bound,
                        "{} {} earlier than {} after {} {}",
                        d.vaccine, d.dose, interval.interval, anchor.vaccine, anchor.dose
                    );
                }
            }
            if vaccine.live_injectable && d.status != Status::Done {
                for date in &live_dates {
                    prop_assert!(earliest >= *date + Days::new(28), "{} {} within 28 days of a live dose", d.vaccine, d.dose);
                }
            }
        }
    }

    #[test]
    fn statuses_only_move_forward_in_time(input in child(), step in 1u64..3000) {
        let before = compute_ok(&input)?;
        let mut later_input = input.clone();
        later_input.as_of = input.as_of + Days::new(step);
        let later = compute_ok(&later_input)?;
        prop_assert_eq!(before.doses.len(), later.doses.len());
        for (a, b) in before.doses.iter().zip(&later.doses) {
            prop_assert_eq!((&a.vaccine, a.dose), (&b.vaccine, b.dose));
            prop_assert_eq!(a.status == Status::Done, b.status == Status::Done);
            prop_assert!(
                rank(b.status) >= rank(a.status),
                "{} {} went from {:?} to {:?}", a.vaccine, a.dose, a.status, b.status
            );
        }
    }

    #[test]
    fn output_is_deterministic_and_independent_of_record_order(input in child()) {
        let first = compute_ok(&input)?;
        prop_assert_eq!(&first, &compute_ok(&input)?);
        let mut reversed = input.clone();
        reversed.given.reverse();
        prop_assert_eq!(&first, &compute_ok(&reversed)?);
    }

    #[test]
    fn nothing_changes_before_next_event_date(input in child()) {
        let now = compute_ok(&input)?;
        let mut probe = input.clone();
        match next_event_date(&now) {
            Some(event) => {
                prop_assert!(event > input.as_of);
                probe.as_of = event.pred_opt().expect("in range");
                prop_assert_eq!(statuses(&now), statuses(&compute_ok(&probe)?));
                probe.as_of = event;
                prop_assert_ne!(statuses(&now), statuses(&compute_ok(&probe)?));
            }
            None => {
                probe.as_of = input.as_of + Days::new(20_000);
                prop_assert_eq!(statuses(&now), statuses(&compute_ok(&probe)?));
            }
        }
    }

    #[test]
    fn arbitrary_records_give_an_answer_or_an_error_never_a_panic(
        vaccine in prop_oneof![Just("HepB".to_string()), Just("IPV".to_string()), "[A-Za-z/-]{0,8}"],
        dose in any::<u8>(),
        offset in -40_000i64..40_000,
        as_of_offset in -40_000i64..40_000,
    ) {
        let birth = NaiveDate::from_ymd_opt(2020, 6, 30).expect("valid");
        let mut input = ScheduleInput::new(birth, birth + chrono::Duration::days(as_of_offset));
        input.given.push(GivenDose { vaccine, dose, date: birth + chrono::Duration::days(offset) });
        let _ = compute(Edition::current(), &input);
    }

    #[test]
    fn parse_given_never_panics(text in ".{0,40}") {
        let _ = parse_given(&text);
    }

    #[test]
    fn from_json_never_panics(text in ".{0,200}") {
        let _ = Edition::from_json(&text);
    }
}
