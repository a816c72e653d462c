//! The stage content of `data/stages/` as the push planner needs it: when each stage starts,
//! counted like the feed counts it (corrected age for preterm babies under two; the rules are
//! [`crate::domain::stages`]).

use chrono::NaiveDate;
use entity::babies;

use crate::domain::push::StageStart;
use crate::domain::stages;

/// The stages with their start dates for a baby born on `birth`. A bad stage file (which the
/// domain's tests catch) means no stage messages rather than no planning.
pub fn for_birth(birth: NaiveDate) -> Vec<StageStart> {
    match stages::catalogue() {
        Ok(catalogue) => catalogue
            .stages
            .iter()
            .filter_map(|s| {
                Some(StageStart {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    summary: s.summary.clone(),
                    starts_on: s.from.after(birth)?,
                })
            })
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "no stage messages");
            Vec::new()
        }
    }
}

/// [`for_birth`] from the birth date the feed uses for `baby` on `as_of`.
pub fn for_baby(baby: &babies::Model, as_of: NaiveDate) -> Vec<StageStart> {
    let preterm_weeks = baby.preterm_weeks.and_then(|w| u32::try_from(w).ok());
    for_birth(stages::content_birth(baby.birth_date, preterm_weeks, as_of).birth)
}
