//! Template ids and the mapping of our fields onto each template's keywords: configuration,
//! since every account picks its own templates from WeChat's library.
//!
//! `BABYVAX_PUSH_TEMPLATES` (or `push_templates` in babyvax.toml) is a JSON object: for each
//! message class (`vaccine`, `stage`, `announcement`) and channel (`oa` template message, `mp`
//! subscribe message), the template id, its keywords as `{placeholder}` texts, and the
//! mini-program page opened on tap:
//!
//! ```json
//! {"vaccine": {
//!    "oa": {"template_id": "TPL_OA", "page": "pages/baby/index?id={baby_id}",
//!           "fields": {"first": "{title}", "keyword1": "{baby_name}", "keyword2": "{doses}",
//!                      "keyword3": "{date}", "remark": "{clinic}"}},
//!    "mp": {"template_id": "TPL_MP", "fields": {"thing1": "{baby_name}", "thing2": "{doses}",
//!                                               "date3": "{date}", "thing4": "{clinic}"}}}}
//! ```
//!
//! Placeholders: `baby_name`, `baby_id`, `doses`, `dose_count`, `vaccine`, `vaccine_name`,
//! `dose` (the dose fields of a reminder: [`super::texts`]), `date`, `clinic`, `title`,
//! `summary`, `kind_text`. Subscribe keywords are cut to WeChat's limits (`thing` 20
//! characters, `name` 10, `phrase` 5) so a long baby name or dose list cannot make the send
//! fail.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Kind;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSet {
    #[serde(default)]
    pub vaccine: ChannelTemplates,
    #[serde(default)]
    pub stage: ChannelTemplates,
    #[serde(default)]
    pub announcement: ChannelTemplates,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelTemplates {
    #[serde(default)]
    pub oa: Option<TemplateSpec>,
    #[serde(default)]
    pub mp: Option<TemplateSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSpec {
    pub template_id: String,
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub page: Option<String>,
}

/// Which templates a message uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Vaccine,
    Stage,
    Announcement,
}

impl Class {
    pub fn of(kind: Kind, campaign_kind: Option<&str>) -> Class {
        match kind {
            Kind::Stage => Class::Stage,
            Kind::Campaign if campaign_kind == Some("announcement") => Class::Announcement,
            Kind::Campaign => Class::Stage,
            _ => Class::Vaccine,
        }
    }
}

impl TemplateSet {
    pub fn parse(json: &str) -> Result<TemplateSet, String> {
        let set: TemplateSet = serde_json::from_str(json).map_err(|e| e.to_string())?;
        for spec in [
            &set.vaccine.oa,
            &set.vaccine.mp,
            &set.stage.oa,
            &set.stage.mp,
            &set.announcement.oa,
            &set.announcement.mp,
        ]
        .into_iter()
        .flatten()
        {
            if spec.template_id.trim().is_empty() || spec.fields.is_empty() {
                return Err("every template needs a template_id and at least one field".into());
            }
        }
        Ok(set)
    }

    pub fn for_class(&self, class: Class) -> &ChannelTemplates {
        match class {
            Class::Vaccine => &self.vaccine,
            Class::Stage => &self.stage,
            Class::Announcement => &self.announcement,
        }
    }
}

/// `text` with every `{name}` replaced by its value (unknown names by nothing).
pub fn fill(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                if let Some(v) = values.get(&after[..close]) {
                    out.push_str(v);
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn limit_for(keyword: &str) -> Option<usize> {
    let kind: String = keyword
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    match kind.as_str() {
        "thing" => Some(20),
        "name" => Some(10),
        "phrase" => Some(5),
        "character_string" => Some(32),
        _ => None,
    }
}

/// The template's keywords filled from our fields; subscribe keywords are cut to WeChat's limits.
pub fn render(
    spec: &TemplateSpec,
    values: &BTreeMap<String, String>,
    subscribe: bool,
) -> BTreeMap<String, String> {
    spec.fields
        .iter()
        .map(|(keyword, text)| {
            let mut value = fill(text, values);
            if subscribe && let Some(max) = limit_for(keyword) {
                value = value.chars().take(max).collect();
            }
            (keyword.clone(), value)
        })
        .collect()
}
