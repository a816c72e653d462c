//! The texts of a reminder about doses, as template fields (see [`super::templates`]).
//!
//! `doses` names every dose of the message with the vaccines' short names, a vaccine's doses
//! together (乙肝疫苗第2、3剂、脊灰疫苗第1剂); `vaccine_name` and `dose` keep their one-dose
//! meaning for templates written before reminders were grouped (names and numbers joined with
//! 、 when there are several); `dose_count` counts the doses.

use chrono::NaiveDate;

use super::Kind;
use super::plan::NamedDose;

/// Our template fields that depend on the doses a reminder names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoseFields {
    /// Vaccine ids, comma-separated.
    pub vaccine: String,
    pub vaccine_name: String,
    pub dose: String,
    pub doses: String,
    pub dose_count: String,
    pub kind_text: String,
}

/// A vaccine's name without its parenthesised note: `脊灰疫苗 (IPV + bOPV)` → `脊灰疫苗`.
fn short_name(name_zh: &str) -> &str {
    let cut = [" (", "（", "("]
        .iter()
        .filter_map(|open| name_zh.find(open))
        .min()
        .unwrap_or(name_zh.len());
    match name_zh[..cut].trim_end() {
        "" => name_zh,
        short => short,
    }
}

/// `乙肝疫苗第2、3剂、脊灰疫苗第1剂`: consecutive doses of one vaccine together.
pub fn doses_text(doses: &[NamedDose]) -> String {
    let mut parts: Vec<(&str, Vec<String>)> = Vec::new();
    for d in doses {
        match parts.last_mut() {
            Some((vaccine, numbers)) if *vaccine == d.id.vaccine => {
                numbers.push(d.id.dose.to_string());
            }
            _ => parts.push((d.id.vaccine.as_str(), vec![d.id.dose.to_string()])),
        }
    }
    parts
        .iter()
        .map(|(vaccine, numbers)| {
            let name = doses
                .iter()
                .find(|d| d.id.vaccine == *vaccine)
                .map_or(*vaccine, |d| short_name(&d.name_zh));
            format!("{name}第{}剂", numbers.join("、"))
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// The fields of a `kind` reminder about `doses`, dated `event_date`, planned on `planned_for`.
pub fn dose_fields(
    kind: Kind,
    doses: &[NamedDose],
    event_date: NaiveDate,
    planned_for: NaiveDate,
) -> DoseFields {
    let text = doses_text(doses);
    let mut names: Vec<&str> = doses.iter().map(|d| d.name_zh.as_str()).collect();
    names.dedup();
    let kind_text = match kind {
        Kind::DueSoon => match (event_date - planned_for).num_days() {
            days if days > 0 => format!("{text}{days}天后可以接种了"),
            _ => format!("{text}从今天起可以接种"),
        },
        Kind::DueToday if planned_for <= event_date => format!("{text}从今天起可以接种"),
        Kind::DueToday => format!("{text}已经可以接种了"),
        Kind::Overdue7 | Kind::Overdue30 | Kind::OverdueOther => {
            format!("{text}已过建议完成日期，请尽快补种")
        }
        Kind::CatchUp => format!("{text}待接种，请尽快安排"),
        Kind::FollowUp => format!("{text}仍待接种，接种后请记得记录"),
        Kind::Stage | Kind::Campaign => String::new(),
    };
    DoseFields {
        vaccine: doses
            .iter()
            .map(|d| d.id.vaccine.as_str())
            .collect::<Vec<_>>()
            .join(","),
        vaccine_name: names.join("、"),
        dose: doses
            .iter()
            .map(|d| d.id.dose.to_string())
            .collect::<Vec<_>>()
            .join("、"),
        doses: text,
        dose_count: doses.len().to_string(),
        kind_text,
    }
}

impl DoseFields {
    /// Written over a payload's fields (a narrowed reminder keeps its other fields).
    pub fn write_into(&self, payload: &mut serde_json::Map<String, serde_json::Value>) {
        for (key, value) in [
            ("vaccine", &self.vaccine),
            ("vaccine_name", &self.vaccine_name),
            ("dose", &self.dose),
            ("doses", &self.doses),
            ("dose_count", &self.dose_count),
            ("kind_text", &self.kind_text),
            ("title", &self.kind_text),
        ] {
            payload.insert(key.to_owned(), serde_json::Value::String(value.clone()));
        }
    }
}
