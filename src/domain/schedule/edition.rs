//! Schedule editions: the data format of `data/schedules/*.json`, its validation and overlays.
//!
//! The structs below *are* the file format (serde, unknown fields rejected so a typo in the data
//! fails loudly). They are public read-only so services can show sources and notes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use serde::Deserialize;

use super::age::Age;
use super::error::ScheduleError;
use super::{Programme, ReasonCode, Sex, VerificationLevel};

/// The edition in force by default, compiled into the binary.
pub const NIP_2026_JSON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/schedules/nip-2026.json"
));

static CURRENT: LazyLock<Edition> = LazyLock::new(|| {
    // Embedded data, not input: the test `embedded_edition_is_valid` guards this.
    Edition::from_json(NIP_2026_JSON).expect("embedded data/schedules/nip-2026.json is valid")
});

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    pub level: VerificationLevel,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceInfo {
    pub title: String,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub how_checked: Option<String>,
}

/// A rule of the programme as a whole; `applied` says whether and how the engine enforces it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneralRule {
    pub id: String,
    pub rule: String,
    pub applied: String,
    pub source: Vec<String>,
    pub verification: Verification,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveInterval {
    pub interval: Age,
    pub source: Vec<String>,
    pub verification: Verification,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatchUpLimit {
    pub age: Age,
    pub text: String,
    pub source: Vec<String>,
    pub verification: Verification,
}

/// Vaccines of which a child gets exactly one (JE-L or JE-I, HepA-L or HepA-I).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlternativeGroup {
    pub id: String,
    pub members: Vec<String>,
    pub default: String,
    pub source: Vec<String>,
    pub verification: Verification,
}

/// A dose of a vaccine; `vaccine` defaults to the vaccine the reference is written in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoseRef {
    #[serde(default)]
    pub vaccine: Option<String>,
    pub dose: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntervalRule {
    pub after: DoseRef,
    pub interval: Age,
    #[serde(default)]
    pub verification: Option<Verification>,
}

/// From this age the vaccine (or dose) is never given: pending doses become not_applicable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeLimit {
    pub age: Age,
    pub text: String,
    #[serde(default)]
    pub verification: Option<Verification>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonNote {
    pub code: ReasonCode,
    pub text: String,
}

/// The dose is skipped once this many recorded doses carry `component` (polio dose 4 after
/// four IPV-containing doses).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotNeeded {
    pub component: String,
    pub min_doses: u32,
    pub text: String,
}

/// Replacement timing for a dose when the dose named in `replaces` can no longer be given
/// (MPSV-AC dose 1 brought forward when MPSV-A was missed before 24 months).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Substitution {
    pub replaces: DoseRef,
    pub earliest_age: Age,
    pub recommended_age: Age,
    #[serde(default)]
    pub complete_by_age: Option<Age>,
    #[serde(default)]
    pub min_intervals: Vec<IntervalRule>,
    pub text: String,
    pub verification: Verification,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoseRule {
    pub dose: u8,
    pub earliest_age: Age,
    pub recommended_age: Age,
    #[serde(default)]
    pub complete_by_age: Option<Age>,
    #[serde(default)]
    pub min_intervals: Vec<IntervalRule>,
    /// Inclusive upper bound on the gap after another dose; tightens complete_by.
    #[serde(default)]
    pub max_interval: Option<IntervalRule>,
    #[serde(default)]
    pub not_given_from_age: Option<AgeLimit>,
    /// Components a plain record of this dose carries (Polio doses 1-2 are IPV).
    #[serde(default)]
    pub components: Vec<String>,
    #[serde(default)]
    pub not_needed_when: Option<NotNeeded>,
    #[serde(default)]
    pub if_missed: Option<Substitution>,
    #[serde(default)]
    pub catch_up: Option<ReasonNote>,
    #[serde(default)]
    pub notes: Option<String>,
    pub source: Vec<String>,
    pub verification: Verification,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaccineRule {
    pub id: String,
    pub name_zh: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub route: Option<String>,
    pub programme: Programme,
    /// Subject to the 28-day rule between injectable live vaccines.
    #[serde(default)]
    pub live_injectable: bool,
    /// Only for this sex (HPV2: female). Unknown sex in the input keeps the vaccine.
    #[serde(default)]
    pub sex: Option<Sex>,
    #[serde(default)]
    pub not_given_from_age: Option<AgeLimit>,
    #[serde(default)]
    pub catch_up: Option<ReasonNote>,
    #[serde(default)]
    pub notes: Vec<String>,
    pub source: Vec<String>,
    pub doses: Vec<DoseRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductTarget {
    pub vaccine: String,
    /// Product dose numbers that count as the same dose number of `vaccine`; empty = all.
    #[serde(default)]
    pub doses: Vec<u8>,
}

/// A product name a record may use instead of a schedule vaccine id (IPV, bOPV, 5-in-1 ...).
/// Product dose N fills dose N of each target; `components` are counted for `not_needed_when`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub id: String,
    pub name_zh: String,
    pub programme: Programme,
    #[serde(default)]
    pub components: Vec<String>,
    pub counts_as: Vec<ProductTarget>,
    #[serde(default)]
    pub notes: Option<String>,
    pub source: Vec<String>,
    pub verification: Verification,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliedOverlay {
    pub id: String,
    pub title: String,
    pub region: Option<String>,
}

/// One edition file (`data/schedules/<edition>.json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditionData {
    pub edition: String,
    pub title: String,
    #[serde(default)]
    pub meta: BTreeMap<String, String>,
    pub sources: BTreeMap<String, SourceInfo>,
    #[serde(default)]
    pub general_rules: Vec<GeneralRule>,
    pub live_injectable_interval: LiveInterval,
    /// Programme (nip/local) doses are not caught up from this age.
    pub catch_up_until_age: CatchUpLimit,
    #[serde(default)]
    pub alternatives: Vec<AlternativeGroup>,
    pub vaccines: Vec<VaccineRule>,
    #[serde(default)]
    pub products: Vec<Product>,
    /// Filled in by [`Edition::with_overlay`]; never written in an edition file.
    #[serde(default)]
    pub overlays: Vec<AppliedOverlay>,
}

/// A provincial addition or change: `data/schedules/overlays/*.json`.
/// Vaccines, products, alternative groups and general rules replace those with the same id
/// (in place) or are appended; `remove_vaccines` drops vaccines (and their alternative-group
/// memberships and product targets).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Overlay {
    overlay: String,
    title: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    sources: BTreeMap<String, SourceInfo>,
    #[serde(default)]
    general_rules: Vec<GeneralRule>,
    #[serde(default)]
    remove_vaccines: Vec<String>,
    #[serde(default)]
    vaccines: Vec<VaccineRule>,
    #[serde(default)]
    alternatives: Vec<AlternativeGroup>,
    #[serde(default)]
    products: Vec<Product>,
}

/// Position of a dose in the edition: (vaccine index, dose index).
pub(super) type Slot = (usize, usize);

/// A parsed and validated schedule edition, optionally with overlays applied.
#[derive(Debug, Clone)]
pub struct Edition {
    id: String,
    data: EditionData,
    vaccine_index: HashMap<String, usize>,
    product_index: HashMap<String, usize>,
    group_of: HashMap<usize, usize>,
}

impl Edition {
    /// The edition in force by default (`data/schedules/nip-2026.json`, embedded).
    pub fn current() -> &'static Edition {
        &CURRENT
    }

    /// Parse and validate an edition file.
    pub fn from_json(json: &str) -> Result<Edition, ScheduleError> {
        let data: EditionData =
            serde_json::from_str(json).map_err(|e| ScheduleError::InvalidEdition(e.to_string()))?;
        if !data.overlays.is_empty() {
            return Err(invalid(
                "`overlays` is filled in by with_overlay, not written",
            ));
        }
        Edition::build(data.edition.clone(), data)
    }

    /// This edition with a provincial overlay applied (see `data/schedules/overlays/`).
    pub fn with_overlay(&self, overlay_json: &str) -> Result<Edition, ScheduleError> {
        let overlay: Overlay = serde_json::from_str(overlay_json)
            .map_err(|e| ScheduleError::InvalidEdition(format!("overlay: {e}")))?;
        let mut data = self.data.clone();
        apply_overlay(&mut data, &overlay)?;
        Edition::build(format!("{}+{}", self.id, overlay.overlay), data)
    }

    /// `nip-2026`, or `nip-2026+<overlay>` with overlays applied.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The whole edition as written (sources, notes, verification), for display.
    pub fn data(&self) -> &EditionData {
        &self.data
    }

    pub(super) fn vaccines(&self) -> &[VaccineRule] {
        &self.data.vaccines
    }

    pub(super) fn vaccine_index(&self, id: &str) -> Option<usize> {
        self.vaccine_index.get(id).copied()
    }

    pub(super) fn product(&self, id: &str) -> Option<&Product> {
        self.product_index.get(id).map(|&i| &self.data.products[i])
    }

    pub(super) fn alternative_group(&self, vaccine: usize) -> Option<&AlternativeGroup> {
        self.group_of
            .get(&vaccine)
            .map(|&g| &self.data.alternatives[g])
    }

    /// The slot of dose `dose` of vaccine `id`, if both exist.
    pub(super) fn slot_of(&self, id: &str, dose: u8) -> Option<Slot> {
        let vaccine = self.vaccine_index(id)?;
        let index = usize::from(dose).checked_sub(1)?;
        (index < self.data.vaccines[vaccine].doses.len()).then_some((vaccine, index))
    }

    /// Resolve a reference written inside vaccine `from`.
    pub(super) fn resolve(&self, from: usize, reference: &DoseRef) -> Option<Slot> {
        match &reference.vaccine {
            Some(id) => self.slot_of(id, reference.dose),
            None => self.slot_of(&self.data.vaccines[from].id, reference.dose),
        }
    }

    fn build(id: String, data: EditionData) -> Result<Edition, ScheduleError> {
        let mut edition = Edition {
            id,
            data,
            vaccine_index: HashMap::new(),
            product_index: HashMap::new(),
            group_of: HashMap::new(),
        };
        edition.index_and_validate()?;
        Ok(edition)
    }

    fn index_and_validate(&mut self) -> Result<(), ScheduleError> {
        let data = &self.data;
        if data.edition.trim().is_empty() {
            return Err(invalid("edition id is empty"));
        }
        for (i, vaccine) in data.vaccines.iter().enumerate() {
            check_id(&vaccine.id)?;
            if self.vaccine_index.insert(vaccine.id.clone(), i).is_some() {
                return Err(invalid(format!(
                    "vaccine `{}` is defined twice",
                    vaccine.id
                )));
            }
        }
        for (i, product) in data.products.iter().enumerate() {
            check_id(&product.id)?;
            if self.vaccine_index.contains_key(&product.id)
                || self.product_index.insert(product.id.clone(), i).is_some()
            {
                return Err(invalid(format!(
                    "product id `{}` is not unique",
                    product.id
                )));
            }
        }
        for (g, group) in data.alternatives.iter().enumerate() {
            if group.members.len() < 2 || !group.members.contains(&group.default) {
                return Err(invalid(format!(
                    "alternative group `{}` needs >= 2 members including its default",
                    group.id
                )));
            }
            for member in &group.members {
                let v = self.vaccine_index.get(member).copied().ok_or_else(|| {
                    invalid(format!(
                        "alternative group `{}`: unknown `{member}`",
                        group.id
                    ))
                })?;
                if self.group_of.insert(v, g).is_some() {
                    return Err(invalid(format!("`{member}` is in two alternative groups")));
                }
            }
        }
        self.check_sources()?;
        for (v, vaccine) in self.data.vaccines.iter().enumerate() {
            self.check_vaccine(v, vaccine)?;
        }
        for product in &self.data.products {
            if product.counts_as.is_empty() {
                return Err(invalid(format!(
                    "product `{}` counts as nothing",
                    product.id
                )));
            }
            for target in &product.counts_as {
                if self.vaccine_index(&target.vaccine).is_none() {
                    return Err(invalid(format!(
                        "product `{}`: unknown vaccine `{}`",
                        product.id, target.vaccine
                    )));
                }
                if let Some(&dose) = target
                    .doses
                    .iter()
                    .find(|&&d| self.slot_of(&target.vaccine, d).is_none())
                {
                    return Err(invalid(format!(
                        "product `{}`: `{}` has no dose {dose}",
                        product.id, target.vaccine
                    )));
                }
            }
        }
        Ok(())
    }

    fn check_sources(&self) -> Result<(), ScheduleError> {
        let data = &self.data;
        let mut lists: Vec<(&str, &[String])> = vec![
            (
                "live_injectable_interval",
                &data.live_injectable_interval.source,
            ),
            ("catch_up_until_age", &data.catch_up_until_age.source),
        ];
        lists.extend(
            data.general_rules
                .iter()
                .map(|r| (r.id.as_str(), &r.source[..])),
        );
        lists.extend(
            data.alternatives
                .iter()
                .map(|g| (g.id.as_str(), &g.source[..])),
        );
        lists.extend(data.products.iter().map(|p| (p.id.as_str(), &p.source[..])));
        for vaccine in &data.vaccines {
            lists.push((&vaccine.id, &vaccine.source));
            lists.extend(
                vaccine
                    .doses
                    .iter()
                    .map(|d| (vaccine.id.as_str(), &d.source[..])),
            );
        }
        for (owner, sources) in lists {
            if let Some(unknown) = sources.iter().find(|s| !data.sources.contains_key(*s)) {
                return Err(invalid(format!(
                    "`{owner}` cites unknown source `{unknown}`"
                )));
            }
        }
        Ok(())
    }

    fn check_vaccine(&self, v: usize, vaccine: &VaccineRule) -> Result<(), ScheduleError> {
        let id = &vaccine.id;
        if vaccine.doses.is_empty() {
            return Err(invalid(format!("`{id}` has no doses")));
        }
        check_limit(id, vaccine.not_given_from_age.as_ref())?;
        check_catch_up(id, vaccine.catch_up.as_ref())?;
        for (d, dose) in vaccine.doses.iter().enumerate() {
            let here = format!("{id} dose {}", dose.dose);
            if usize::from(dose.dose) != d + 1 {
                return Err(invalid(format!(
                    "`{id}`: doses must be numbered 1, 2, ... in order"
                )));
            }
            if dose.source.is_empty() {
                return Err(invalid(format!("{here}: no source")));
            }
            if dose.complete_by_age.is_some_and(|a| a.is_zero()) {
                return Err(invalid(format!("{here}: complete_by_age is zero")));
            }
            check_limit(&here, dose.not_given_from_age.as_ref())?;
            check_catch_up(&here, dose.catch_up.as_ref())?;
            let intervals = dose.min_intervals.iter().chain(&dose.max_interval);
            for interval in intervals {
                self.check_earlier(v, d, &interval.after, &here)?;
            }
            if let Some(rule) = &dose.not_needed_when
                && (rule.component.is_empty() || rule.min_doses == 0)
            {
                return Err(invalid(format!("{here}: empty not_needed_when")));
            }
            if let Some(sub) = &dose.if_missed {
                if sub.replaces.vaccine.is_none() {
                    return Err(invalid(format!(
                        "{here}: if_missed.replaces needs a vaccine"
                    )));
                }
                self.check_earlier(v, d, &sub.replaces, &here)?;
                for interval in &sub.min_intervals {
                    self.check_earlier(v, d, &interval.after, &here)?;
                }
                if sub.complete_by_age.is_some_and(|a| a.is_zero()) {
                    return Err(invalid(format!(
                        "{here}: if_missed.complete_by_age is zero"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Doses are evaluated in file order, so a rule may only look at doses evaluated before it.
    fn check_earlier(
        &self,
        v: usize,
        d: usize,
        reference: &DoseRef,
        here: &str,
    ) -> Result<(), ScheduleError> {
        let (rv, rd) = self.resolve(v, reference).ok_or_else(|| {
            invalid(format!(
                "{here}: refers to unknown dose {} of `{}`",
                reference.dose,
                reference.vaccine.as_deref().unwrap_or("this vaccine")
            ))
        })?;
        if rv < v || (rv == v && rd < d) {
            Ok(())
        } else {
            Err(invalid(format!(
                "{here}: may only refer to an earlier dose of the same vaccine or to a vaccine listed before it"
            )))
        }
    }
}

fn invalid(message: impl Into<String>) -> ScheduleError {
    ScheduleError::InvalidEdition(message.into())
}

fn check_id(id: &str) -> Result<(), ScheduleError> {
    // `:` separates the fields of a CLI dose record.
    if id.trim().is_empty() || id.contains(':') || id.trim() != id {
        return Err(invalid(format!("`{id}` is not a usable id")));
    }
    Ok(())
}

fn check_limit(owner: &str, limit: Option<&AgeLimit>) -> Result<(), ScheduleError> {
    if limit.is_some_and(|l| l.age.is_zero()) {
        return Err(invalid(format!("{owner}: not_given_from_age is zero")));
    }
    Ok(())
}

fn check_catch_up(owner: &str, note: Option<&ReasonNote>) -> Result<(), ScheduleError> {
    match note.map(|n| n.code) {
        None | Some(ReasonCode::CatchUp) | Some(ReasonCode::CatchUpRequiresTest) => Ok(()),
        Some(other) => Err(invalid(format!(
            "{owner}: catch_up code must be catch_up or catch_up_requires_test, not {}",
            other.as_str()
        ))),
    }
}

fn apply_overlay(data: &mut EditionData, overlay: &Overlay) -> Result<(), ScheduleError> {
    data.sources
        .extend(overlay.sources.iter().map(|(k, v)| (k.clone(), v.clone())));
    for rule in &overlay.general_rules {
        upsert(&mut data.general_rules, rule.clone(), |r| &r.id);
    }
    let removed: HashSet<&str> = overlay.remove_vaccines.iter().map(String::as_str).collect();
    if let Some(unknown) = removed
        .iter()
        .find(|id| !data.vaccines.iter().any(|v| v.id == **id))
    {
        return Err(invalid(format!(
            "overlay removes unknown vaccine `{unknown}`"
        )));
    }
    data.vaccines.retain(|v| !removed.contains(v.id.as_str()));
    for group in &mut data.alternatives {
        group.members.retain(|m| !removed.contains(m.as_str()));
    }
    // A group reduced to one member leaves that vaccine simply routine.
    data.alternatives.retain(|g| g.members.len() >= 2);
    for product in &mut data.products {
        product
            .counts_as
            .retain(|t| !removed.contains(t.vaccine.as_str()));
    }
    data.products.retain(|p| !p.counts_as.is_empty());
    for vaccine in &overlay.vaccines {
        upsert(&mut data.vaccines, vaccine.clone(), |v| &v.id);
    }
    for group in &overlay.alternatives {
        upsert(&mut data.alternatives, group.clone(), |g| &g.id);
    }
    for product in &overlay.products {
        upsert(&mut data.products, product.clone(), |p| &p.id);
    }
    data.overlays.push(AppliedOverlay {
        id: overlay.overlay.clone(),
        title: overlay.title.clone(),
        region: overlay.region.clone(),
    });
    Ok(())
}

fn upsert<T>(items: &mut Vec<T>, item: T, id: impl Fn(&T) -> &String) {
    match items.iter().position(|existing| id(existing) == id(&item)) {
        Some(i) => items[i] = item,
        None => items.push(item),
    }
}
