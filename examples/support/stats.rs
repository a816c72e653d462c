//! The one percentile the examples report.

use std::time::Duration;

/// Nearest-rank percentile `p` (0 to 100) of `sorted`, which is sorted ascending; `None` when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}
