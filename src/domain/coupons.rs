//! Coupons' pure rules: what a template must be (field by field), who may claim it and why it
//! is shown, when a claimed coupon is valid, what a redemption is worth, the commission on it,
//! and settlement months. No database, no clock.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::time::{shanghai, shanghai_date};

/// How long a redemption code lives.
pub const CODE_TTL_SECS: i64 = 60;
/// Days before the end of a coupon's validity the member is told.
pub const EXPIRY_NOTICE_DAYS: i64 = 3;
pub const TITLE_MAX_CHARS: usize = 64;
pub const DESCRIPTION_MAX_CHARS: usize = 500;
/// 100,000 yuan: no coupon is worth more.
pub const MAX_AMOUNT_FEN: i64 = 10_000_000;
pub const MAX_STOCK: i64 = 1_000_000;
pub const MAX_PER_MEMBER: i64 = 100;
pub const MAX_VALID_DAYS: i64 = 366;
/// 18 years.
pub const MAX_AGE_DAYS: i64 = 6575;
pub const MAX_CITIES: usize = 100;
pub const CITY_MAX_CHARS: usize = 32;
pub const MAX_POINTS_COST: i64 = 10_000_000;

/// What a coupon gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CouponKind {
    /// `amount_fen` off an order of at least `threshold_fen` (0: no minimum).
    Cash,
    /// `percent_off` percent off, at most `max_off_fen`, on an order of at least `threshold_fen`.
    Discount,
    /// A gift worth `amount_fen`.
    Gift,
}

impl CouponKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            CouponKind::Cash => "cash",
            CouponKind::Discount => "discount",
            CouponKind::Gift => "gift",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [CouponKind::Cash, CouponKind::Discount, CouponKind::Gift]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// When a claimed coupon can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Validity {
    /// From `from` through `to`, calendar dates in Asia/Shanghai.
    Fixed { from: NaiveDate, to: NaiveDate },
    /// From the claim through the end of the `days`th day (the claim's day is the first).
    Relative { days: i64 },
}

/// Babies' ages in days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AgeBand {
    pub min: i64,
    pub max: i64,
}

/// A template as checked: every rule of [`check_template`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRules {
    pub title: String,
    pub description: String,
    pub kind: CouponKind,
    pub amount_fen: Option<i64>,
    pub threshold_fen: i64,
    pub percent_off: Option<i32>,
    pub max_off_fen: Option<i64>,
    pub validity: Validity,
    pub total_stock: i32,
    pub per_member_limit: i32,
    pub claim_from: DateTime<Utc>,
    pub claim_to: DateTime<Utc>,
    pub age_band: Option<AgeBand>,
    pub cities: Option<Vec<String>>,
    pub points_cost: i32,
}

/// A template as sent, before the checks.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// 1-64 characters.
    pub title: String,
    /// Up to 500 characters.
    #[serde(default)]
    pub description: Option<String>,
    #[schema(value_type = CouponKind)]
    pub kind: String,
    /// Cash: the amount off; gift: the gift's value. Positive fen. Not for discounts.
    #[serde(default)]
    pub amount_fen: Option<i64>,
    /// Cash: 0 (无门槛, no minimum) or not below `amount_fen`; discount: the minimum order.
    #[serde(default)]
    pub threshold_fen: Option<i64>,
    /// Discount only: 1-99.
    #[serde(default)]
    pub percent_off: Option<i64>,
    /// Discount only, optional: the most a discount takes off, positive fen.
    #[serde(default)]
    pub max_off_fen: Option<i64>,
    pub validity: Validity,
    /// At least 1.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub total_stock: i64,
    /// At least 1 (at most 100).
    #[schema(minimum = 1, maximum = 100)]
    pub per_member_limit: i64,
    pub claim_from: DateTime<Utc>,
    /// After `claim_from`.
    pub claim_to: DateTime<Utc>,
    /// Only members with a baby of that age (days, both ends included) may claim.
    #[serde(default)]
    pub baby_age_days: Option<AgeBand>,
    /// Only members in one of these cities may claim.
    #[serde(default)]
    pub cities: Option<Vec<String>>,
    /// Points the claim costs; 0 (the default) is free.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub points_cost: Option<i64>,
}

/// The template field a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Title,
    Description,
    Kind,
    AmountFen,
    ThresholdFen,
    PercentOff,
    MaxOffFen,
    Validity,
    TotalStock,
    PerMemberLimit,
    ClaimWindow,
    AgeBand,
    Cities,
    PointsCost,
}

/// A broken rule: the field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
}

fn field(code: Field, message: impl Into<String>) -> FieldError {
    FieldError {
        field: code,
        message: message.into(),
    }
}

fn text(
    value: &str,
    max: usize,
    code: Field,
    name: &str,
    required: bool,
) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if required && trimmed.is_empty() {
        return Err(field(code, format!("{name} must not be empty")));
    }
    if trimmed.chars().count() > max {
        return Err(field(
            code,
            format!("{name} is longer than {max} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(field(code, format!("{name} contains control characters")));
    }
    Ok(trimmed.to_owned())
}

fn positive_fen(value: Option<i64>, code: Field, name: &str) -> Result<i64, FieldError> {
    match value {
        Some(v) if (1..=MAX_AMOUNT_FEN).contains(&v) => Ok(v),
        Some(_) => Err(field(
            code,
            format!("{name} must be a whole number of fen from 1 to {MAX_AMOUNT_FEN}"),
        )),
        None => Err(field(code, format!("{name} is required for this kind"))),
    }
}

fn absent<T>(
    value: Option<T>,
    code: Field,
    name: &str,
    kind: CouponKind,
) -> Result<(), FieldError> {
    match value {
        Some(_) => Err(field(
            code,
            format!("{name} does not apply to {} coupons", kind.as_str()),
        )),
        None => Ok(()),
    }
}

/// Checks every field, in the order of the contract; the first broken rule answers with its
/// field's code.
pub fn check_template(input: &TemplateInput) -> Result<TemplateRules, FieldError> {
    let title = text(&input.title, TITLE_MAX_CHARS, Field::Title, "title", true)?;
    let description = text(
        input.description.as_deref().unwrap_or(""),
        DESCRIPTION_MAX_CHARS,
        Field::Description,
        "description",
        false,
    )?;
    let kind = CouponKind::parse(&input.kind)
        .ok_or_else(|| field(Field::Kind, "kind must be cash, discount or gift"))?;
    let threshold_fen = input.threshold_fen.unwrap_or(0);
    if !(0..=MAX_AMOUNT_FEN).contains(&threshold_fen) {
        return Err(field(
            Field::ThresholdFen,
            format!("threshold_fen must be a whole number of fen from 0 to {MAX_AMOUNT_FEN}"),
        ));
    }
    let (amount_fen, percent_off, max_off_fen) = match kind {
        CouponKind::Cash => {
            let amount = positive_fen(input.amount_fen, Field::AmountFen, "amount_fen")?;
            if threshold_fen != 0 && threshold_fen < amount {
                return Err(field(
                    Field::ThresholdFen,
                    "threshold_fen must be 0 (no minimum) or not below amount_fen",
                ));
            }
            absent(input.percent_off, Field::PercentOff, "percent_off", kind)?;
            absent(input.max_off_fen, Field::MaxOffFen, "max_off_fen", kind)?;
            (Some(amount), None, None)
        }
        CouponKind::Discount => {
            absent(input.amount_fen, Field::AmountFen, "amount_fen", kind)?;
            let percent = match input.percent_off {
                Some(p) if (1..=99).contains(&p) => p,
                _ => {
                    return Err(field(
                        Field::PercentOff,
                        "percent_off must be a whole number from 1 to 99",
                    ));
                }
            };
            let max_off = match input.max_off_fen {
                Some(_) => Some(positive_fen(
                    input.max_off_fen,
                    Field::MaxOffFen,
                    "max_off_fen",
                )?),
                None => None,
            };
            (None, i32::try_from(percent).ok(), max_off)
        }
        CouponKind::Gift => {
            let amount = positive_fen(input.amount_fen, Field::AmountFen, "amount_fen")?;
            absent(input.percent_off, Field::PercentOff, "percent_off", kind)?;
            absent(input.max_off_fen, Field::MaxOffFen, "max_off_fen", kind)?;
            (Some(amount), None, None)
        }
    };
    match input.validity {
        Validity::Fixed { from, to } => {
            if from > to {
                return Err(field(
                    Field::Validity,
                    "validity.from must not be after validity.to",
                ));
            }
            if to < shanghai_date(input.claim_from) {
                return Err(field(
                    Field::Validity,
                    "validity.to must not be before the claim window opens",
                ));
            }
        }
        Validity::Relative { days } => {
            if !(1..=MAX_VALID_DAYS).contains(&days) {
                return Err(field(
                    Field::Validity,
                    format!("validity.days must be from 1 to {MAX_VALID_DAYS}"),
                ));
            }
        }
    }
    let total_stock = i32::try_from(input.total_stock)
        .ok()
        .filter(|s| (1..=MAX_STOCK).contains(&i64::from(*s)))
        .ok_or_else(|| {
            field(
                Field::TotalStock,
                format!("total_stock must be from 1 to {MAX_STOCK}"),
            )
        })?;
    let per_member_limit = i32::try_from(input.per_member_limit)
        .ok()
        .filter(|l| (1..=MAX_PER_MEMBER).contains(&i64::from(*l)))
        .ok_or_else(|| {
            field(
                Field::PerMemberLimit,
                format!("per_member_limit must be from 1 to {MAX_PER_MEMBER}"),
            )
        })?;
    if input.claim_from >= input.claim_to {
        return Err(field(
            Field::ClaimWindow,
            "claim_from must be before claim_to",
        ));
    }
    if let Some(band) = input.baby_age_days
        && !(0 <= band.min && band.min <= band.max && band.max <= MAX_AGE_DAYS)
    {
        return Err(field(
            Field::AgeBand,
            format!("baby_age_days needs 0 <= min <= max <= {MAX_AGE_DAYS}"),
        ));
    }
    let cities = match &input.cities {
        None => None,
        Some(list) => {
            if list.is_empty() || list.len() > MAX_CITIES {
                return Err(field(
                    Field::Cities,
                    format!("cities must list 1 to {MAX_CITIES} cities (or be left out)"),
                ));
            }
            let mut checked = Vec::with_capacity(list.len());
            for city in list {
                checked.push(text(city, CITY_MAX_CHARS, Field::Cities, "a city", true)?);
            }
            Some(checked)
        }
    };
    let points_cost = input.points_cost.unwrap_or(0);
    let points_cost = i32::try_from(points_cost)
        .ok()
        .filter(|p| (0..=MAX_POINTS_COST).contains(&i64::from(*p)))
        .ok_or_else(|| {
            field(
                Field::PointsCost,
                format!("points_cost must be from 0 to {MAX_POINTS_COST}"),
            )
        })?;
    Ok(TemplateRules {
        title,
        description,
        kind,
        amount_fen,
        threshold_fen,
        percent_off,
        max_off_fen,
        validity: input.validity,
        total_stock,
        per_member_limit,
        claim_from: input.claim_from,
        claim_to: input.claim_to,
        age_band: input.baby_age_days,
        cities,
        points_cost,
    })
}

/// Whether one of the babies (birth dates) is in `band` on `today`; true without a band.
pub fn age_matches(band: Option<AgeBand>, births: &[NaiveDate], today: NaiveDate) -> bool {
    match band {
        None => true,
        Some(band) => births.iter().any(|b| {
            let age = crate::domain::time::age_days(*b, today);
            band.min <= age && age <= band.max
        }),
    }
}

/// Whether the member's city is one of `cities`; true without a list.
pub fn city_matches(cities: Option<&[String]>, city: Option<&str>) -> bool {
    match cities {
        None => true,
        Some(list) => city.is_some_and(|c| list.iter().any(|l| l == c.trim())),
    }
}

/// Why a template is shown to a member: its conditions, in words.
pub fn why_shown(band: Option<AgeBand>, cities: Option<&[String]>) -> String {
    let mut parts = Vec::new();
    if let Some(band) = band {
        if band.min % 30 == 0 && band.max % 30 == 0 {
            parts.push(format!(
                "for babies {}–{} months",
                band.min / 30,
                band.max / 30
            ));
        } else {
            parts.push(format!("for babies {}–{} days old", band.min, band.max));
        }
    }
    if let Some(cities) = cities {
        parts.push(format!("for parents in {}", cities.join(", ")));
    }
    if parts.is_empty() {
        "open to every parent".to_owned()
    } else {
        parts.join("; ")
    }
}

/// The start of a Shanghai calendar day, as an instant.
pub fn shanghai_midnight(day: NaiveDate) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    shanghai()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

/// When a coupon claimed at `claimed_at` is valid: `[from, until)`.
pub fn coupon_validity(
    validity: Validity,
    claimed_at: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    match validity {
        Validity::Fixed { from, to } => (
            shanghai_midnight(from),
            shanghai_midnight(to.succ_opt().unwrap_or(to)),
        ),
        Validity::Relative { days } => {
            let today = shanghai_date(claimed_at);
            let end = today
                .checked_add_signed(Duration::days(days))
                .unwrap_or(today);
            (claimed_at, shanghai_midnight(end))
        }
    }
}

/// What a redemption takes off an order of `order_amount_fen` (never more than the order).
pub fn face_value(
    kind: CouponKind,
    amount_fen: Option<i64>,
    percent_off: Option<i32>,
    max_off_fen: Option<i64>,
    order_amount_fen: i64,
) -> i64 {
    match kind {
        CouponKind::Cash => amount_fen.unwrap_or(0).min(order_amount_fen).max(0),
        CouponKind::Discount => {
            let off = order_amount_fen.max(0) * i64::from(percent_off.unwrap_or(0)) / 100;
            match max_off_fen {
                Some(cap) => off.min(cap),
                None => off,
            }
        }
        CouponKind::Gift => amount_fen.unwrap_or(0),
    }
}

/// Our commission on `face_value_fen` at `bps` basis points, rounded half up.
pub fn commission(face_value_fen: i64, bps: i32) -> i64 {
    (face_value_fen * i64::from(bps) + 5_000).div_euclid(10_000)
}

/// The settlement month (`YYYY-MM`, Asia/Shanghai) of an instant.
pub fn month_of(at: DateTime<Utc>) -> String {
    let day = shanghai_date(at);
    format!("{:04}-{:02}", day.year(), day.month())
}

/// A `YYYY-MM` month, if it is one.
pub fn parse_month(text: &str) -> Option<NaiveDate> {
    if text.len() != 7 {
        return None;
    }
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()
}

/// The month after `month` (`YYYY-MM`).
pub fn next_month(month: &str) -> Option<String> {
    let first = parse_month(month)?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some(format!("{:04}-{:02}", next.year(), next.month()))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Change = Box<dyn Fn(&mut TemplateInput)>;

    fn input() -> TemplateInput {
        TemplateInput {
            title: "满100减20".into(),
            description: None,
            kind: "cash".into(),
            amount_fen: Some(2000),
            threshold_fen: Some(10000),
            percent_off: None,
            max_off_fen: None,
            validity: Validity::Relative { days: 30 },
            total_stock: 5,
            per_member_limit: 1,
            claim_from: "2026-03-01T00:00:00Z".parse().unwrap(),
            claim_to: "2026-04-01T00:00:00Z".parse().unwrap(),
            baby_age_days: None,
            cities: None,
            points_cost: None,
        }
    }

    fn code(input: &TemplateInput) -> &'static str {
        match check_template(input) {
            Ok(_) => "ok",
            Err(e) => match e.field {
                Field::Title => "invalid_title",
                Field::Description => "invalid_description",
                Field::Kind => "invalid_coupon_kind",
                Field::AmountFen => "invalid_amount_fen",
                Field::ThresholdFen => "invalid_threshold_fen",
                Field::PercentOff => "invalid_percent_off",
                Field::MaxOffFen => "invalid_max_off_fen",
                Field::Validity => "invalid_validity",
                Field::TotalStock => "invalid_total_stock",
                Field::PerMemberLimit => "invalid_per_member_limit",
                Field::ClaimWindow => "invalid_claim_window",
                Field::AgeBand => "invalid_age_band",
                Field::Cities => "invalid_cities",
                Field::PointsCost => "invalid_points_cost",
            },
        }
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        assert_eq!(code(&input()), "ok");
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|i| i.title = " ".into()), "invalid_title"),
            (Box::new(|i| i.kind = "free".into()), "invalid_coupon_kind"),
            (Box::new(|i| i.amount_fen = Some(0)), "invalid_amount_fen"),
            (Box::new(|i| i.amount_fen = None), "invalid_amount_fen"),
            (
                Box::new(|i| i.threshold_fen = Some(1999)),
                "invalid_threshold_fen",
            ),
            (
                Box::new(|i| i.threshold_fen = Some(-1)),
                "invalid_threshold_fen",
            ),
            (
                Box::new(|i| i.percent_off = Some(10)),
                "invalid_percent_off",
            ),
            (Box::new(|i| i.total_stock = 0), "invalid_total_stock"),
            (
                Box::new(|i| i.per_member_limit = 0),
                "invalid_per_member_limit",
            ),
            (
                Box::new(|i| i.claim_to = i.claim_from),
                "invalid_claim_window",
            ),
            (
                Box::new(|i| i.validity = Validity::Relative { days: 0 }),
                "invalid_validity",
            ),
            (
                Box::new(|i| {
                    i.validity = Validity::Fixed {
                        from: "2026-03-10".parse().unwrap(),
                        to: "2026-03-09".parse().unwrap(),
                    }
                }),
                "invalid_validity",
            ),
            (
                Box::new(|i| i.baby_age_days = Some(AgeBand { min: 10, max: 9 })),
                "invalid_age_band",
            ),
            (Box::new(|i| i.cities = Some(vec![])), "invalid_cities"),
            (
                Box::new(|i| i.points_cost = Some(-1)),
                "invalid_points_cost",
            ),
        ];
        for (change, expected) in cases {
            let mut i = input();
            change(&mut i);
            assert_eq!(code(&i), expected);
        }
        // No minimum (无门槛), and the threshold equal to the amount, are both fine.
        let mut i = input();
        i.threshold_fen = Some(0);
        assert_eq!(code(&i), "ok");
        i.threshold_fen = Some(2000);
        assert_eq!(code(&i), "ok");
        // Discounts: 1-99 percent, no amount.
        let mut d = input();
        d.kind = "discount".into();
        d.amount_fen = None;
        d.percent_off = Some(100);
        assert_eq!(code(&d), "invalid_percent_off");
        d.percent_off = Some(99);
        assert_eq!(code(&d), "ok");
        d.amount_fen = Some(1);
        assert_eq!(code(&d), "invalid_amount_fen");
    }

    #[test]
    fn face_values_never_exceed_the_order_and_commission_rounds_half_up() {
        assert_eq!(
            face_value(CouponKind::Cash, Some(2000), None, None, 1500),
            1500
        );
        assert_eq!(
            face_value(CouponKind::Cash, Some(2000), None, None, 10000),
            2000
        );
        assert_eq!(
            face_value(CouponKind::Discount, None, Some(15), Some(1000), 10000),
            1000
        );
        assert_eq!(
            face_value(CouponKind::Discount, None, Some(15), None, 10000),
            1500
        );
        assert_eq!(
            face_value(CouponKind::Gift, Some(3000), None, None, 0),
            3000
        );
        assert_eq!(commission(2000, 500), 100);
        assert_eq!(commission(1, 5000), 1);
        assert_eq!(commission(1, 4999), 0);
    }

    #[test]
    fn ages_match_on_the_first_and_last_day_of_the_band() {
        let birth: NaiveDate = "2026-01-01".parse().unwrap();
        let band = Some(AgeBand { min: 10, max: 20 });
        let day = |d: i64| birth + Duration::days(d);
        assert!(!age_matches(band, &[birth], day(9)));
        assert!(age_matches(band, &[birth], day(10)));
        assert!(age_matches(band, &[birth], day(20)));
        assert!(!age_matches(band, &[birth], day(21)));
        assert!(age_matches(None, &[], day(0)));
        assert!(!age_matches(band, &[], day(10)));
    }

    #[test]
    fn validity_and_months_follow_shanghai_days() {
        let claimed: DateTime<Utc> = "2026-03-10T02:00:00Z".parse().unwrap();
        let (from, until) = coupon_validity(Validity::Relative { days: 1 }, claimed);
        assert_eq!(from, claimed);
        assert_eq!(
            until,
            "2026-03-10T16:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(month_of("2026-03-31T16:00:00Z".parse().unwrap()), "2026-04");
        assert_eq!(next_month("2026-12").as_deref(), Some("2027-01"));
        assert!(parse_month("2026-13").is_none());
        assert_eq!(
            why_shown(Some(AgeBand { min: 180, max: 360 }), None),
            "for babies 6–12 months"
        );
    }
}
