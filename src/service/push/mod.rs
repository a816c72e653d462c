//! The push engine over the database: the planner (messages due on a day, from each baby's
//! next push date), the sender, parents' preferences and operator campaigns. Messages go out
//! through the outbox (`crate::service::messaging::outbox`); the care services keep the
//! planner's index and the unsent reminders current when a baby changes
//! (`crate::service::care::reminders`).
//!
//! Pure rules are in `crate::domain::push`; the workers' loops in `crate::jobs::push`.

pub mod campaigns;
pub mod lease;
pub mod planner;
pub mod preferences;
pub mod sender;
pub mod stages;
