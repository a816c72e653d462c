//! The stage content of `data/stages/` as the push planner needs it: when each stage starts.

use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::push::StageStart;
use crate::domain::schedule::Age;
use crate::service::feed::STAGES_JSON;

#[derive(Debug, Deserialize)]
struct File {
    stages: Vec<Stage>,
}

#[derive(Debug, Deserialize)]
struct Stage {
    id: String,
    title: String,
    summary: String,
    from: Age,
}

static STAGES: LazyLock<Vec<Stage>> = LazyLock::new(|| {
    // The feed parses the same file strictly (and its tests fail on a bad file); here a bad
    // file means no stage messages, never a panic.
    serde_json::from_str::<File>(STAGES_JSON)
        .map(|f| f.stages)
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "data/stages is invalid: no stage messages");
            Vec::new()
        })
});

/// The stages with their start dates for a baby born on `birth` (chronological age).
pub fn for_birth(birth: NaiveDate) -> Vec<StageStart> {
    STAGES
        .iter()
        .filter_map(|s| {
            Some(StageStart {
                id: s.id.clone(),
                title: s.title.clone(),
                summary: s.summary.clone(),
                starts_on: s.from.after(birth)?,
            })
        })
        .collect()
}
