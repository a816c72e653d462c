//! Developmental-stage content and the age rules that place it on a baby's calendar: pure, no
//! clock and no I/O.
//!
//! The content is data: `data/stages/stages-0-6y.json` is compiled in ([`catalogue`]). Each stage
//! has a window of ages, `from` inclusive and `until` exclusive, counted with the schedule's age
//! arithmetic ([`Age::after`]: months first, clamped to the month's end, then days). Windows are
//! ranges of normal variation, never deadlines.
//!
//! Ages ([`age`]): "N months old" is the same day-of-month N months after birth, clamped to the
//! month's last day ([`completed_months`]). Content follows the corrected age of a preterm baby
//! (birth date + weeks born early) until 24 months of chronological age, as child-health checks
//! do ([`content_birth`]); vaccinations always follow the chronological age.

mod age;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{Days, NaiveDate};
use serde::Deserialize;

pub use age::{CORRECTED_AGE_UNTIL_MONTHS, ContentBirth, completed_months, content_birth};

use crate::domain::schedule::Age;

/// "What comes next": content that starts within this many days.
pub const NEXT_CONTENT_DAYS: u64 = 60;

/// The stage content file, compiled in.
pub const STAGES_JSON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/stages/stages-0-6y.json"
));

/// The stage file does not parse, or cites a source it does not define: a fault in our data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("data/stages is invalid: {0}")]
pub struct StageDataError(String);

/// The whole stage file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    #[allow(dead_code)] // Documentation of the file, kept so that typos in it fail the parse.
    meta: BTreeMap<String, String>,
    sources: BTreeMap<String, Source>,
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub title: String,
    #[serde(default)]
    pub url: Option<String>,
    #[allow(dead_code)]
    #[serde(default)]
    how_checked: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub id: String,
    /// `gross_motor`, `complementary_feeding`, `montessori_sensitive_period` or
    /// `popular_sensitive_period`.
    pub category: String,
    pub title: String,
    pub summary: String,
    /// Age at which the window opens.
    pub from: Age,
    /// Age at which it closes (exclusive).
    pub until: Age,
    /// Ids of [`Catalogue`] sources.
    pub sources: Vec<String>,
    pub verification: Verification,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// `verified`, `secondary`, `unverified` or `general`.
    pub level: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A stage placed on one baby's calendar.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    pub stage: &'a Stage,
    /// First day of the window.
    pub starts_on: NaiveDate,
    /// Last day of the window.
    pub ends_on: NaiveDate,
}

/// The stages in their window on a day, and those starting soon.
#[derive(Debug, Clone, Default)]
pub struct StageContent<'a> {
    pub now: Vec<Window<'a>>,
    /// Starting within [`NEXT_CONTENT_DAYS`], soonest first.
    pub next: Vec<Window<'a>>,
}

pub fn parse(json: &str) -> Result<Catalogue, StageDataError> {
    let file: Catalogue = serde_json::from_str(json).map_err(|e| StageDataError(e.to_string()))?;
    for stage in &file.stages {
        if let Some(missing) = stage
            .sources
            .iter()
            .find(|s| !file.sources.contains_key(*s))
        {
            return Err(StageDataError(format!(
                "{} cites unknown source {missing}",
                stage.id
            )));
        }
    }
    Ok(file)
}

static CATALOGUE: LazyLock<Result<Catalogue, StageDataError>> =
    LazyLock::new(|| parse(STAGES_JSON));

/// The compiled-in stage file.
pub fn catalogue() -> Result<&'static Catalogue, StageDataError> {
    CATALOGUE.as_ref().map_err(Clone::clone)
}

impl Stage {
    /// The stage's window for a baby whose content age counts from `birth`; None where the
    /// calendar cannot hold it.
    pub fn window(&self, birth: NaiveDate) -> Option<Window<'_>> {
        let starts_on = self.from.after(birth)?;
        let until = self.until.after(birth)?;
        Some(Window {
            stage: self,
            starts_on,
            ends_on: until.pred_opt().unwrap_or(until),
        })
    }
}

impl Catalogue {
    /// The sources a stage cites, with their ids.
    pub fn sources_of<'a>(
        &'a self,
        stage: &'a Stage,
    ) -> impl Iterator<Item = (&'a str, &'a Source)> {
        stage
            .sources
            .iter()
            .filter_map(|id| self.sources.get(id).map(|s| (id.as_str(), s)))
    }

    /// Stages in their window on `today`, and those starting within [`NEXT_CONTENT_DAYS`], for a
    /// baby whose content age counts from `birth`.
    pub fn content(&self, birth: NaiveDate, today: NaiveDate) -> StageContent<'_> {
        let horizon = today
            .checked_add_days(Days::new(NEXT_CONTENT_DAYS))
            .unwrap_or(today);
        let mut content = StageContent::default();
        for window in self.stages.iter().filter_map(|s| s.window(birth)) {
            if window.starts_on <= today && today <= window.ends_on {
                content.now.push(window);
            } else if today < window.starts_on && window.starts_on <= horizon {
                content.next.push(window);
            }
        }
        content.next.sort_by_key(|w| w.starts_on);
        content
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn embedded_stage_data_is_valid() {
        let file = parse(STAGES_JSON).unwrap();
        assert!(file.stages.len() >= 19);
        for stage in &file.stages {
            let birth = d("2024-02-29");
            assert!(
                stage.from.after(birth) < stage.until.after(birth),
                "{}: empty window",
                stage.id
            );
        }
    }

    #[test]
    fn unknown_sources_are_refused() {
        let json = r#"{"meta":{},"sources":{},"stages":[{"id":"x","category":"c","title":"t",
            "summary":"s","from":{},"until":{"months":1},"sources":["NOPE"],
            "verification":{"level":"verified"}}]}"#;
        assert!(parse(json).unwrap_err().to_string().contains("NOPE"));
    }

    #[test]
    fn a_six_month_old_gets_solids_now_and_finger_foods_later() {
        let content = catalogue()
            .unwrap()
            .content(d("2025-09-01"), d("2026-03-05"));
        let ids: Vec<&str> = content.now.iter().map(|w| w.stage.id.as_str()).collect();
        assert!(ids.contains(&"feeding_start_solids"), "{ids:?}");
        assert!(!ids.contains(&"feeding_exclusive_milk"), "{ids:?}");
        assert!(ids.contains(&"motor_sitting_without_support"), "{ids:?}");
        let next_ids: Vec<&str> = content.next.iter().map(|w| w.stage.id.as_str()).collect();
        assert!(next_ids.contains(&"motor_standing_alone"), "{next_ids:?}");
        assert!(
            !next_ids.contains(&"feeding_mashed_finger_foods"),
            "{next_ids:?}"
        );
    }

    #[test]
    fn a_window_ends_the_day_before_its_until_age() {
        let stage = &catalogue().unwrap().stages[0];
        let birth = d("2026-01-31");
        let window = stage.window(birth).unwrap();
        assert_eq!(window.starts_on, stage.from.after(birth).unwrap());
        assert_eq!(
            window.ends_on.succ_opt(),
            Some(stage.until.after(birth).unwrap())
        );
    }
}
