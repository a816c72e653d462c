use chrono::NaiveDate;

/// Everything the schedule engine can refuse. [`ScheduleError::code`] gives a stable snake_case
/// code for API bodies; `InvalidEdition` is a fault in schedule data, every other variant is bad
/// input (a 4xx for the caller).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("invalid schedule data: {0}")]
    InvalidEdition(String),
    #[error("unknown vaccine `{vaccine}`")]
    UnknownVaccine { vaccine: String },
    #[error("`{vaccine}` has no dose {dose}")]
    UnknownDose { vaccine: String, dose: u8 },
    #[error("{vaccine} dose {dose} is dated {date}, before the birth date {birth}")]
    DoseBeforeBirth {
        vaccine: String,
        dose: u8,
        date: NaiveDate,
        birth: NaiveDate,
    },
    #[error("{vaccine} dose {dose} is recorded more than once (record `{record}` fills it again)")]
    DuplicateDose {
        vaccine: String,
        dose: u8,
        record: String,
    },
    #[error("`{vaccine}` is not one of a set of alternatives, so it cannot be chosen")]
    NotAnAlternative { vaccine: String },
    #[error("`{first}` and `{second}` are alternatives to each other; choose only one")]
    ConflictingAlternatives { first: String, second: String },
    #[error(
        "`{input}` is not a dose record; expected VACCINE:DOSE:YYYY-MM-DD, e.g. HepB:1:2025-03-01"
    )]
    InvalidGivenFormat { input: String },
    #[error("a date computed from the birth date is out of range")]
    DateOutOfRange,
}

impl ScheduleError {
    pub fn code(&self) -> &'static str {
        match self {
            ScheduleError::InvalidEdition(_) => "invalid_edition",
            ScheduleError::UnknownVaccine { .. } => "unknown_vaccine",
            ScheduleError::UnknownDose { .. } => "unknown_dose",
            ScheduleError::DoseBeforeBirth { .. } => "dose_before_birth",
            ScheduleError::DuplicateDose { .. } => "duplicate_dose",
            ScheduleError::NotAnAlternative { .. } => "not_an_alternative",
            ScheduleError::ConflictingAlternatives { .. } => "conflicting_alternatives",
            ScheduleError::InvalidGivenFormat { .. } => "invalid_given_format",
            ScheduleError::DateOutOfRange => "date_out_of_range",
        }
    }
}
