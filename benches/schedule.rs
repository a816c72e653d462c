//! Schedule computation per baby: `cargo bench --bench schedule`.
//!
//! Three histories of the current edition: a newborn with nothing recorded, a 15-month-old on
//! time with two self-paid vaccines opted in, and a 7-year-old whose history is complete.

use std::hint::black_box;

use babyvax::domain::schedule::{self, Edition, GivenDose, ScheduleInput};
use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn given(vaccine: &str, dose: u8, on: &str) -> GivenDose {
    GivenDose {
        vaccine: vaccine.to_owned(),
        dose,
        date: date(on),
    }
}

fn newborn() -> ScheduleInput {
    ScheduleInput::new(date("2026-03-01"), date("2026-03-02"))
}

fn toddler_on_time() -> ScheduleInput {
    let mut input = ScheduleInput::new(date("2025-01-10"), date("2026-04-15"));
    input.opted_in = vec!["PCV13".into(), "EV71".into()];
    input.given = vec![
        given("HepB", 1, "2025-01-10"),
        given("BCG", 1, "2025-01-10"),
        given("HepB", 2, "2025-02-10"),
        given("Polio", 1, "2025-03-10"),
        given("DTaP", 1, "2025-03-10"),
        given("PCV13", 1, "2025-03-10"),
        given("Polio", 2, "2025-04-10"),
        given("DTaP", 2, "2025-05-10"),
        given("PCV13", 2, "2025-05-10"),
        given("Polio", 3, "2025-05-10"),
        given("HepB", 3, "2025-07-10"),
        given("DTaP", 3, "2025-07-10"),
        given("MPSV-A", 1, "2025-07-10"),
        given("EV71", 1, "2025-07-12"),
        given("EV71", 2, "2025-08-12"),
        given("MMR", 1, "2025-09-10"),
        given("JE-L", 1, "2025-09-10"),
        given("MPSV-A", 2, "2025-10-10"),
        given("PCV13", 3, "2025-07-10"),
        given("PCV13", 4, "2026-01-10"),
    ];
    input
}

fn school_child() -> ScheduleInput {
    let mut input = toddler_on_time();
    input.as_of = date("2032-02-01");
    input.given.extend([
        given("DTaP", 4, "2026-07-10"),
        given("MMR", 2, "2026-07-10"),
        given("HepA-L", 1, "2026-07-10"),
        given("JE-L", 2, "2027-01-10"),
        given("MPSV-AC", 1, "2028-01-10"),
        given("Polio", 4, "2029-01-10"),
        given("DTaP", 5, "2031-01-10"),
        given("MPSV-AC", 2, "2031-01-10"),
    ]);
    input
}

fn bench(c: &mut Criterion) {
    let edition = Edition::current();
    let mut group = c.benchmark_group("schedule_compute");
    for (name, input) in [
        ("newborn_nothing_recorded", newborn()),
        ("toddler_20_doses_2_opt_ins", toddler_on_time()),
        ("school_child_28_doses", school_child()),
    ] {
        // A history the engine refuses would measure the error path instead.
        if let Err(e) = schedule::compute(edition, &input) {
            panic!("{name}: {e}");
        }
        group.bench_function(name, |b| {
            b.iter(|| {
                let computed = schedule::compute(edition, black_box(&input));
                black_box(computed.map(|s| schedule::next_event_date(&s)))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
