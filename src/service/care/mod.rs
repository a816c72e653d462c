//! A baby's care record: the baby, who may see it ([`access`]), the family that shares it
//! ([`caregivers`]), recorded doses, self-paid opt-ins, the computed schedule, and the stage feed.
pub mod access;
pub mod babies;
pub mod caregivers;
pub mod doses;
pub mod feed;
pub mod opt_ins;
pub mod reminders;
pub mod schedule;
