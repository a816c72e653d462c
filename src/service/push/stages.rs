//! The stage content of `data/stages/` as the push planner needs it: when each stage starts,
//! counted like the feed counts it (corrected age for preterm babies under two).

use chrono::NaiveDate;
use entity::babies;

use crate::domain::push::StageStart;
use crate::service::care::feed;

/// The stages with their start dates for a baby born on `birth`. A bad stage file (which the
/// feed's tests catch) means no stage messages rather than no planning.
pub fn for_birth(birth: NaiveDate) -> Vec<StageStart> {
    feed::stage_starts(birth).unwrap_or_else(|e| {
        tracing::error!(error = %e, "no stage messages");
        Vec::new()
    })
}

/// [`for_birth`] from the birth date the feed uses for `baby` on `as_of`.
pub fn for_baby(baby: &babies::Model, as_of: NaiveDate) -> Vec<StageStart> {
    for_birth(feed::content_birth(baby, as_of).0)
}
