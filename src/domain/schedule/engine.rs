//! [`compute`]: from an edition and a child's history to the status of every dose.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::age::Age;
use super::edition::{DoseRef, DoseRule, Edition, IntervalRule, Slot, Substitution, VaccineRule};
use super::error::ScheduleError;
use super::{
    DoseStatus, Programme, ReasonCode, Schedule, ScheduleInput, Sex, Status, VerificationLevel,
};

/// Compute the child's schedule as of `input.as_of`.
///
/// Doses come out in edition order (vaccine by vaccine, dose by dose). Self-paid vaccines appear
/// only when opted in or recorded. Errors are about the input (unknown vaccine or dose, a dose
/// before birth, a dose recorded twice, an impossible choice of alternatives).
pub fn compute(edition: &Edition, input: &ScheduleInput) -> Result<Schedule, ScheduleError> {
    let records = Records::resolve(edition, input)?;
    let included = included_vaccines(edition, input, &records)?;
    let not_chosen = resolve_alternatives(edition, input, &records)?;
    let mut engine = Engine {
        edition,
        input,
        records,
        not_chosen,
        done: HashMap::new(),
        doses: Vec::new(),
    };
    for (v, vaccine) in edition.vaccines().iter().enumerate() {
        if !included[v] {
            continue;
        }
        for d in 0..vaccine.doses.len() {
            let status = engine.evaluate(v, d)?;
            engine.done.insert((v, d), engine.doses.len());
            engine.doses.push(status);
        }
    }
    Ok(Schedule {
        as_of: input.as_of,
        doses: engine.doses,
    })
}

/// The given doses, mapped onto the slots of the edition.
struct Records {
    by_slot: HashMap<Slot, NaiveDate>,
    /// How many records carry each component (e.g. `ipv`); one record counts once.
    components: HashMap<String, u32>,
    /// Recorded injectable live doses, sorted, with a label for reasons.
    live: Vec<(NaiveDate, String)>,
}

impl Records {
    fn resolve(edition: &Edition, input: &ScheduleInput) -> Result<Records, ScheduleError> {
        let mut records = Records {
            by_slot: HashMap::new(),
            components: HashMap::new(),
            live: Vec::new(),
        };
        for given in &input.given {
            let unknown_dose = || ScheduleError::UnknownDose {
                vaccine: given.vaccine.clone(),
                dose: given.dose,
            };
            if given.date < input.birth {
                return Err(ScheduleError::DoseBeforeBirth {
                    vaccine: given.vaccine.clone(),
                    dose: given.dose,
                    date: given.date,
                    birth: input.birth,
                });
            }
            let (slots, components): (Vec<Slot>, &[String]) =
                if edition.vaccine_index(&given.vaccine).is_some() {
                    let slot = edition
                        .slot_of(&given.vaccine, given.dose)
                        .ok_or_else(unknown_dose)?;
                    let rule = &edition.vaccines()[slot.0].doses[slot.1];
                    (vec![slot], &rule.components)
                } else if let Some(product) = edition.product(&given.vaccine) {
                    let slots: Vec<Slot> = product
                        .counts_as
                        .iter()
                        .filter(|t| t.doses.is_empty() || t.doses.contains(&given.dose))
                        .filter_map(|t| edition.slot_of(&t.vaccine, given.dose))
                        .collect();
                    if slots.is_empty() {
                        return Err(unknown_dose());
                    }
                    (slots, &product.components)
                } else {
                    return Err(ScheduleError::UnknownVaccine {
                        vaccine: given.vaccine.clone(),
                    });
                };
            for &slot in &slots {
                if records.by_slot.insert(slot, given.date).is_some() {
                    let vaccine = &edition.vaccines()[slot.0];
                    return Err(ScheduleError::DuplicateDose {
                        vaccine: vaccine.id.clone(),
                        dose: vaccine.doses[slot.1].dose,
                        record: format!("{}:{}:{}", given.vaccine, given.dose, given.date),
                    });
                }
            }
            let mut seen: Vec<&String> = Vec::new();
            for component in components {
                if !seen.contains(&component) {
                    seen.push(component);
                    *records.components.entry(component.clone()).or_default() += 1;
                }
            }
            if slots
                .iter()
                .any(|&(v, _)| edition.vaccines()[v].live_injectable)
            {
                let label = format!("{} dose {}", given.vaccine, given.dose);
                records.live.push((given.date, label));
            }
        }
        // Input order must not change the output.
        records.live.sort();
        Ok(records)
    }

    fn has_any_of(&self, vaccine: usize) -> bool {
        self.by_slot.keys().any(|&(v, _)| v == vaccine)
    }
}

fn included_vaccines(
    edition: &Edition,
    input: &ScheduleInput,
    records: &Records,
) -> Result<Vec<bool>, ScheduleError> {
    let mut included: Vec<bool> = edition
        .vaccines()
        .iter()
        .enumerate()
        .map(|(v, vaccine)| vaccine.programme != Programme::SelfPaid || records.has_any_of(v))
        .collect();
    for id in &input.opted_in {
        if let Some(v) = edition.vaccine_index(id) {
            included[v] = true;
        } else if let Some(product) = edition.product(id) {
            for target in &product.counts_as {
                if let Some(v) = edition.vaccine_index(&target.vaccine) {
                    included[v] = true;
                }
            }
        } else {
            return Err(ScheduleError::UnknownVaccine {
                vaccine: id.clone(),
            });
        }
    }
    Ok(included)
}

#[derive(Debug, Clone, Copy)]
enum ChoiceMadeBy {
    Record,
    Parent,
    Default,
}

/// For each vaccine that loses to its alternative: the winner and why.
fn resolve_alternatives(
    edition: &Edition,
    input: &ScheduleInput,
    records: &Records,
) -> Result<HashMap<usize, (usize, ChoiceMadeBy)>, ScheduleError> {
    let mut chosen_by_parent: HashMap<&str, usize> = HashMap::new();
    for id in &input.chosen_alternatives {
        let v = edition
            .vaccine_index(id)
            .ok_or_else(|| ScheduleError::UnknownVaccine {
                vaccine: id.clone(),
            })?;
        let group =
            edition
                .alternative_group(v)
                .ok_or_else(|| ScheduleError::NotAnAlternative {
                    vaccine: id.clone(),
                })?;
        if let Some(&other) = chosen_by_parent.get(group.id.as_str())
            && other != v
        {
            return Err(ScheduleError::ConflictingAlternatives {
                first: edition.vaccines()[other].id.clone(),
                second: id.clone(),
            });
        }
        chosen_by_parent.insert(&group.id, v);
    }

    let mut losers = HashMap::new();
    for group in &edition.data().alternatives {
        let members: Vec<usize> = group
            .members
            .iter()
            .filter_map(|m| edition.vaccine_index(m))
            .collect();
        let parent = chosen_by_parent.get(group.id.as_str()).copied();
        let default = edition.vaccine_index(&group.default);
        let recorded: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&v| records.has_any_of(v))
            .collect();
        // A recorded dose settles the choice; with doses of several members recorded, prefer
        // the parent's choice, then the default, then file order.
        let winner = if recorded.is_empty() {
            match parent {
                Some(v) => Some((v, ChoiceMadeBy::Parent)),
                None => default.map(|v| (v, ChoiceMadeBy::Default)),
            }
        } else {
            [parent, default]
                .into_iter()
                .flatten()
                .find(|v| recorded.contains(v))
                .or(recorded.first().copied())
                .map(|v| (v, ChoiceMadeBy::Record))
        };
        if let Some((winner, why)) = winner {
            for &member in members.iter().filter(|&&m| m != winner) {
                losers.insert(member, (winner, why));
            }
        }
    }
    Ok(losers)
}

struct Engine<'a> {
    edition: &'a Edition,
    input: &'a ScheduleInput,
    records: Records,
    not_chosen: HashMap<usize, (usize, ChoiceMadeBy)>,
    /// Index into `doses` of every slot evaluated so far.
    done: HashMap<Slot, usize>,
    doses: Vec<DoseStatus>,
}

/// Where a dose that another dose waits for stands.
struct Anchor {
    earliest: NaiveDate,
    recommended: NaiveDate,
    describe: String,
}

struct Limit<'a> {
    date: NaiveDate,
    text: &'a str,
    verification: Option<VerificationLevel>,
}

/// The dates of a dose before `as_of` is looked at.
struct Plan<'a> {
    earliest: NaiveDate,
    recommended: NaiveDate,
    complete_by: Option<NaiveDate>,
    /// Why recommended is later than the table says, if it is.
    shift: Option<(ReasonCode, String, VerificationLevel)>,
    substitution: Option<&'a Substitution>,
    limit: Option<Limit<'a>>,
}

fn in_range(date: Option<NaiveDate>) -> Result<NaiveDate, ScheduleError> {
    date.ok_or(ScheduleError::DateOutOfRange)
}

impl<'a> Engine<'a> {
    fn status_of(&self, slot: Slot) -> Option<&DoseStatus> {
        self.done.get(&slot).map(|&i| &self.doses[i])
    }

    fn evaluate(&self, v: usize, d: usize) -> Result<DoseStatus, ScheduleError> {
        let vaccine = &self.edition.vaccines()[v];
        let rule = &vaccine.doses[d];
        let given_on = self.records.by_slot.get(&(v, d)).copied();
        let mut out = DoseStatus {
            vaccine: vaccine.id.clone(),
            dose: rule.dose,
            status: Status::NotApplicable,
            earliest: None,
            recommended: None,
            complete_by: None,
            reason: None,
            reason_code: None,
            given_on,
            not_given_from: None,
            programme: vaccine.programme,
            verification: rule.verification.level,
            name_zh: vaccine.name_zh.clone(),
        };

        if given_on.is_none()
            && let Some((code, text, level)) = self.exclusion(v, d)
        {
            out.reason_code = Some(code);
            out.reason = Some(text);
            out.verification = out.verification.min(level);
            return Ok(out);
        }

        let plan = self.plan(v, d, given_on)?;
        if given_on.is_some() {
            out.status = Status::Done;
            out.earliest = Some(plan.earliest);
            out.recommended = Some(plan.recommended);
            out.complete_by = plan.complete_by;
            return Ok(out);
        }

        let as_of = self.input.as_of;
        if let Some(limit) = &plan.limit
            && (limit.date <= plan.earliest || as_of >= limit.date)
        {
            out.reason_code = Some(ReasonCode::AgeLimit);
            out.reason = Some(limit.text.to_string());
            out.not_given_from = Some(limit.date);
            if let Some(level) = limit.verification {
                out.verification = out.verification.min(level);
            }
            return Ok(out);
        }

        out.earliest = Some(plan.earliest);
        out.recommended = Some(plan.recommended);
        out.complete_by = plan.complete_by;
        out.not_given_from = plan.limit.as_ref().map(|l| l.date);
        out.status = if as_of < plan.earliest {
            Status::NotYetDue
        } else if plan.complete_by.is_some_and(|c| as_of > c) {
            Status::Overdue
        } else {
            Status::Due
        };

        if let Some(sub) = plan.substitution {
            out.verification = out.verification.min(sub.verification.level);
        }
        let reason = match (out.status, plan.complete_by) {
            (Status::Overdue, Some(complete_by)) => {
                let (code, note) = rule
                    .catch_up
                    .as_ref()
                    .or(vaccine.catch_up.as_ref())
                    .map(|n| (n.code, n.text.as_str()))
                    .unwrap_or((
                        ReasonCode::CatchUp,
                        "give it as soon as possible (only the missing doses; a series is never restarted).",
                    ));
                Some((
                    code,
                    format!("Past the complete-by date {complete_by}: {note}"),
                ))
            }
            _ => match (plan.substitution, plan.shift) {
                (Some(sub), _) => Some((ReasonCode::SubstitutesMissedDose, sub.text.clone())),
                (None, Some((code, text, level))) => {
                    out.verification = out.verification.min(level);
                    Some((code, text))
                }
                (None, None) => None,
            },
        };
        if let Some((code, text)) = reason {
            out.reason_code = Some(code);
            out.reason = Some(text);
        }
        Ok(out)
    }

    /// Reasons that rule a pending dose out whatever its dates.
    fn exclusion(&self, v: usize, d: usize) -> Option<(ReasonCode, String, VerificationLevel)> {
        let vaccine = &self.edition.vaccines()[v];
        let rule = &vaccine.doses[d];
        let level = rule.verification.level;
        if let Some(&(winner, why)) = self.not_chosen.get(&v) {
            let winner = &self.edition.vaccines()[winner].id;
            let this = &vaccine.id;
            let text = match why {
                ChoiceMadeBy::Record => {
                    format!("{winner} is used instead of {this}: a {winner} dose is recorded.")
                }
                ChoiceMadeBy::Parent => format!("{winner} was chosen instead of {this}."),
                ChoiceMadeBy::Default => format!(
                    "{winner} is the default alternative to {this}; choose {this} to schedule it instead."
                ),
            };
            return Some((ReasonCode::AlternativeChosen, text, level));
        }
        if let (Some(required), Some(sex)) = (vaccine.sex, self.input.sex)
            && required != sex
        {
            let who = match required {
                Sex::Female => "girls",
                Sex::Male => "boys",
            };
            let text = format!("{} is given to {who} only.", vaccine.id);
            return Some((ReasonCode::NotForSex, text, level));
        }
        if let Some(rule) = &rule.not_needed_when {
            let count = self.records.components.get(&rule.component).copied();
            if count.unwrap_or(0) >= rule.min_doses {
                return Some((ReasonCode::SeriesComplete, rule.text.clone(), level));
            }
        }
        // A series that cannot go on (dose 1 past its window) takes its later doses with it.
        let previous = d.checked_sub(1).and_then(|p| self.status_of((v, p)))?;
        if previous.status == Status::NotApplicable {
            let code = previous.reason_code?;
            let text = previous.reason.clone()?;
            return Some((code, text, level.min(previous.verification)));
        }
        None
    }

    fn plan(
        &self,
        v: usize,
        d: usize,
        given_on: Option<NaiveDate>,
    ) -> Result<Plan<'a>, ScheduleError> {
        let edition = self.edition;
        let vaccine: &'a VaccineRule = &edition.vaccines()[v];
        let rule: &'a DoseRule = &vaccine.doses[d];
        let birth = self.input.birth;

        let substitution = rule.if_missed.as_ref().filter(|sub| {
            edition
                .resolve(v, &sub.replaces)
                .and_then(|slot| self.status_of(slot))
                .is_some_and(|s| s.status == Status::NotApplicable)
        });
        let (earliest_age, recommended_age, complete_by_age, intervals) = match substitution {
            Some(sub) => (
                sub.earliest_age,
                sub.recommended_age,
                sub.complete_by_age,
                &sub.min_intervals,
            ),
            None => (
                rule.earliest_age,
                rule.recommended_age,
                rule.complete_by_age,
                &rule.min_intervals,
            ),
        };

        let mut earliest = in_range(earliest_age.after(birth))?;
        let table_recommended = in_range(recommended_age.after(birth))?.max(earliest);
        let mut recommended = table_recommended;
        let mut shift = None;

        for interval in intervals {
            let Some(anchor) = self.anchor(v, &interval.after) else {
                continue;
            };
            earliest = earliest.max(in_range(interval.interval.after(anchor.earliest))?);
            let pushed = in_range(interval.interval.after(anchor.recommended))?;
            if pushed > recommended {
                recommended = pushed;
                shift = Some(interval_shift(interval, &anchor, rule.verification.level));
            }
        }

        if vaccine.live_injectable {
            let live_gap = &edition.data().live_injectable_interval;
            for (date, label) in &self.records.live {
                // A recorded dose only looks at live doses recorded before it.
                if given_on.is_some_and(|g| *date >= g) {
                    continue;
                }
                let pushed = in_range(live_gap.interval.after(*date))?;
                earliest = earliest.max(pushed);
                if pushed > recommended {
                    recommended = pushed;
                    let text = format!(
                        "Moved later: injectable live vaccines not given on the same day must be at least {} apart, and {label} was given on {date}.",
                        live_gap.interval
                    );
                    let level = live_gap.verification.level;
                    shift = Some((ReasonCode::LiveVaccineInterval, text, level));
                }
            }
        }
        recommended = recommended.max(earliest);

        let mut complete_by = match complete_by_age {
            Some(age) => Some(in_range(age.last_day_below(birth))?),
            None => None,
        };
        if substitution.is_none()
            && let Some(max) = &rule.max_interval
            && let Some(anchor) = self.anchor(v, &max.after)
        {
            let by = in_range(max.interval.after(anchor.recommended))?;
            complete_by = Some(complete_by.map_or(by, |c| c.min(by)));
        }

        Ok(Plan {
            earliest,
            recommended,
            complete_by,
            shift,
            substitution,
            limit: self.limit(vaccine, rule)?,
        })
    }

    /// The dose `reference` as a starting point for an interval; None when it will never be
    /// given (not applicable) or is not in this child's schedule.
    fn anchor(&self, v: usize, reference: &DoseRef) -> Option<Anchor> {
        let slot = self.edition.resolve(v, reference)?;
        let status = self.status_of(slot)?;
        let name = format!("{} dose {}", status.vaccine, status.dose);
        match (status.status, status.given_on) {
            (Status::Done, Some(date)) => Some(Anchor {
                earliest: date,
                recommended: date,
                describe: format!("{name}, given on {date}"),
            }),
            (Status::NotApplicable, _) => None,
            _ => Some(Anchor {
                earliest: status.earliest?,
                recommended: status.recommended?,
                describe: format!(
                    "{name}, not recorded yet (assumed given on its recommended date)"
                ),
            }),
        }
    }

    /// The earliest age limit that applies: the dose's own, the vaccine's, or the programme's
    /// catch-up age (nip/local only).
    fn limit(
        &self,
        vaccine: &'a VaccineRule,
        rule: &'a DoseRule,
    ) -> Result<Option<Limit<'a>>, ScheduleError> {
        let birth = self.input.birth;
        let general = &self.edition.data().catch_up_until_age;
        let mut candidates: Vec<(Age, &'a str, Option<VerificationLevel>)> = Vec::new();
        for limit in [&rule.not_given_from_age, &vaccine.not_given_from_age]
            .into_iter()
            .flatten()
        {
            let level = limit.verification.as_ref().map(|v| v.level);
            candidates.push((limit.age, &limit.text, level));
        }
        if vaccine.programme != Programme::SelfPaid {
            candidates.push((general.age, &general.text, Some(general.verification.level)));
        }
        let mut best: Option<Limit<'a>> = None;
        for (age, text, verification) in candidates {
            let date = in_range(age.after(birth))?;
            if best.as_ref().is_none_or(|b| date < b.date) {
                best = Some(Limit {
                    date,
                    text,
                    verification,
                });
            }
        }
        Ok(best)
    }
}

fn interval_shift(
    interval: &IntervalRule,
    anchor: &Anchor,
    dose_level: VerificationLevel,
) -> (ReasonCode, String, VerificationLevel) {
    let text = format!(
        "Moved later: at least {} after {}.",
        interval.interval, anchor.describe
    );
    let level = interval
        .verification
        .as_ref()
        .map_or(dose_level, |v| v.level.min(dose_level));
    (ReasonCode::MinInterval, text, level)
}
