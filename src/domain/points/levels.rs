//! Levels set by growth value: thresholds and privileges are data.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{ConfigError, MULTIPLIER_ONE, is_display_name, is_slug};

/// A level's points multiplier may reward up to ×3; it never reduces an award.
pub const LEVEL_MULTIPLIER_MAX: u32 = 30_000;

/// What a level gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Privileges {
    /// Applied to every points award, in basis points (10 000 = ×1).
    pub points_multiplier_bp: u32,
    /// Slug of the coupon template granted each month, if any.
    #[serde(default)]
    pub monthly_coupon: Option<String>,
    /// Members of this level are candidates for the 达人 (expert parent) pool.
    #[serde(default)]
    pub talent_pool: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Stable slug (stored on members and named by campaigns).
    pub id: String,
    /// What parents see.
    pub name: String,
    /// Growth value from which this level holds.
    pub threshold: i64,
    pub privileges: Privileges,
}

/// The level after the member's current one and the growth still missing to reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextLevel<'a> {
    pub level: &'a Level,
    pub missing: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelProgress<'a> {
    pub level: &'a Level,
    /// None at the top level.
    pub next: Option<NextLevel<'a>>,
}

/// A validated level table: at least one level, the first at growth 0, thresholds strictly
/// ascending, unique slug ids, multipliers within ×1..×3 and never lower than the level below.
/// Stored as `{"levels": [...]}`; deserializing validates too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "LevelTableData")]
pub struct LevelTable {
    levels: Vec<Level>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelTableData {
    levels: Vec<Level>,
}

impl TryFrom<LevelTableData> for LevelTable {
    type Error = ConfigError;

    fn try_from(data: LevelTableData) -> Result<Self, Self::Error> {
        LevelTable::new(data.levels)
    }
}

impl LevelTable {
    /// Validates an operator-edited table; the first problem found is the error.
    pub fn new(levels: Vec<Level>) -> Result<Self, ConfigError> {
        let first = levels.first().ok_or(ConfigError::EmptyLevelTable)?;
        if first.threshold != 0 {
            return Err(ConfigError::FirstThresholdNotZero {
                threshold: first.threshold,
            });
        }
        let mut ids = HashSet::new();
        let mut previous: Option<&Level> = None;
        for level in &levels {
            if !is_slug(&level.id) {
                return Err(ConfigError::InvalidLevelId {
                    level: level.id.clone(),
                });
            }
            if !ids.insert(level.id.as_str()) {
                return Err(ConfigError::DuplicateLevelId {
                    level: level.id.clone(),
                });
            }
            if !is_display_name(&level.name) {
                return Err(ConfigError::InvalidLevelName {
                    level: level.id.clone(),
                });
            }
            let multiplier = level.privileges.points_multiplier_bp;
            if !(MULTIPLIER_ONE..=LEVEL_MULTIPLIER_MAX).contains(&multiplier) {
                return Err(ConfigError::MultiplierOutOfRange {
                    what: format!("level `{}`", level.id),
                    value: multiplier,
                    min: MULTIPLIER_ONE,
                    max: LEVEL_MULTIPLIER_MAX,
                });
            }
            if let Some(template) = &level.privileges.monthly_coupon
                && !is_slug(template)
            {
                return Err(ConfigError::InvalidCouponTemplate {
                    level: level.id.clone(),
                    template: template.clone(),
                });
            }
            if let Some(previous) = previous {
                if level.threshold <= previous.threshold {
                    return Err(ConfigError::ThresholdsNotAscending {
                        level: level.id.clone(),
                        threshold: level.threshold,
                    });
                }
                if multiplier < previous.privileges.points_multiplier_bp {
                    return Err(ConfigError::MultiplierDecreasing {
                        level: level.id.clone(),
                    });
                }
            }
            previous = Some(level);
        }
        Ok(LevelTable { levels })
    }

    pub fn levels(&self) -> &[Level] {
        &self.levels
    }

    pub fn get(&self, id: &str) -> Option<&Level> {
        self.levels.iter().find(|level| level.id == id)
    }

    /// The level a growth value reaches (below 0 counts as 0).
    pub fn level_for(&self, growth: i64) -> &Level {
        self.progress(growth).level
    }

    /// The level a growth value reaches, the next one and the growth still missing to it.
    pub fn progress(&self, growth: i64) -> LevelProgress<'_> {
        // Validation guarantees a first level at 0, so the split is never 0.
        let reached = self
            .levels
            .partition_point(|level| level.threshold <= growth.max(0))
            .max(1);
        let level = &self.levels[reached - 1];
        let next = self.levels.get(reached).map(|next| NextLevel {
            level: next,
            missing: next.threshold - growth.max(0),
        });
        LevelProgress { level, next }
    }
}

impl Default for LevelTable {
    /// Five levels for parents; the coupon templates are slugs the coupon feature will define.
    fn default() -> Self {
        let level =
            |id: &str, name: &str, threshold, multiplier, coupon: Option<&str>, pool| Level {
                id: id.to_string(),
                name: name.to_string(),
                threshold,
                privileges: Privileges {
                    points_multiplier_bp: multiplier,
                    monthly_coupon: coupon.map(str::to_string),
                    talent_pool: pool,
                },
            };
        LevelTable {
            levels: vec![
                level("novice", "新手爸妈", 0, 10_000, None, false),
                level("growing", "成长爸妈", 200, 10_000, None, false),
                level(
                    "seasoned",
                    "资深爸妈",
                    1_000,
                    11_000,
                    Some("level-seasoned-monthly"),
                    false,
                ),
                level(
                    "expert",
                    "达人爸妈",
                    5_000,
                    12_000,
                    Some("level-expert-monthly"),
                    true,
                ),
                level(
                    "master",
                    "金牌爸妈",
                    15_000,
                    15_000,
                    Some("level-master-monthly"),
                    true,
                ),
            ],
        }
    }
}
