//! Bypass counts by category: the one way every report counts bypasses.
//!
//! The categories come from the vocabulary ([`crate::event::kind`]); this
//! fold piece only counts them in a window, so `stats`, `score`, `alert`,
//! `dashboard` and the metrics give the same numbers on the same log.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Window;
use crate::event::Event;
use crate::event::kind::{BypassCategory, bypass_category};

/// Bypasses in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bypasses {
    pub total: u64,
    /// Of them, the categories where one is already a failure.
    pub critical: u64,
    /// Per category name, every category listed (zeros included).
    pub by_category: BTreeMap<&'static str, u64>,
}

impl Default for Bypasses {
    /// No bypass, every category listed.
    fn default() -> Bypasses {
        Bypasses {
            total: 0,
            critical: 0,
            by_category: BypassCategory::ALL.iter().map(|c| (c.name(), 0)).collect(),
        }
    }
}

/// Counts bypasses in a window by category.
#[derive(Debug, Clone)]
pub struct BypassCount {
    window: Window,
    /// Types counted as bypasses besides the vocabulary's (`[score]
    /// bypass_types`).
    extra: Vec<String>,
    counts: [u64; BypassCategory::ALL.len()],
}

impl BypassCount {
    pub fn new(window: Window, extra: &[String]) -> BypassCount {
        BypassCount {
            window,
            extra: extra.to_vec(),
            counts: [0; BypassCategory::ALL.len()],
        }
    }

    /// The category of `event_type`, with this count's extra types.
    pub fn category(&self, event_type: &str) -> Option<BypassCategory> {
        bypass_category(event_type, &self.extra)
    }

    pub fn add(&mut self, event: &Event) {
        if !self.window.contains(&event.timestamp) {
            return;
        }
        if let Some(category) = self.category(&event.event_type) {
            self.counts[index(category)] += 1;
        }
    }

    /// An empty count with the same window and types.
    pub fn empty(&self) -> BypassCount {
        BypassCount::new(self.window, &self.extra)
    }

    pub fn merge(&mut self, other: BypassCount) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
    }

    pub fn finish(&self) -> Bypasses {
        let mut by_category = BTreeMap::new();
        let (mut total, mut critical) = (0, 0);
        for category in BypassCategory::ALL {
            let n = self.counts[index(category)];
            by_category.insert(category.name(), n);
            total += n;
            if category.is_critical() {
                critical += n;
            }
        }
        Bypasses {
            total,
            critical,
            by_category,
        }
    }
}

fn index(category: BypassCategory) -> usize {
    BypassCategory::ALL
        .iter()
        .position(|c| *c == category)
        .unwrap_or(BypassCategory::ALL.len() - 1)
}
