//! `dashboard`: every report in one pass, for the Markdown view.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use serde::Serialize;

use super::alert::{AlertFold, Alerts};
use super::bypass::{BypassCount, Bypasses};
use super::labels::{EventId, Judgement};
use super::score::{Score, ScoreFold};
use super::stats::{By, Stats, StatsFold};
use super::{Fold, Newest, Split, Stored, Window, detail};
use crate::config::Config;
use crate::event::kind::BypassCategory;
use crate::event::{Event, types, user_name};

/// Days in the daily activity chart.
pub const CHART_DAYS: u64 = 14;
/// Rows in "top rules" and "recent bypasses".
pub const TOP: usize = 10;
/// Days in the HTML dashboard's stacked chart.
pub const STACKED_DAYS: u64 = 30;
/// Weeks in the HTML dashboard's bypass chart.
pub const BYPASS_WEEKS: u64 = 8;

/// One bypass, for the "recent bypasses" table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bypass {
    pub when: String,
    /// Who, by name; with the e-mail address only under `[reports]
    /// show_emails = true`.
    pub user: String,
    pub branch: String,
    pub event_type: String,
    /// Its category, as every report counts and names bypasses.
    pub category: BypassCategory,
    /// How the rule was got round (`PILOT_SKIP_REVIEW=1`, `git commit
    /// --no-verify`).
    pub method: String,
    /// Why, as recorded (the skip variable's reason, the hook that did not
    /// run).
    pub reason: String,
    /// Its id (what `enforce label` takes).
    pub id: String,
    /// Its newest label, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<Judgement>,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    pub generated: String,
    pub days: u64,
    pub score: Score,
    pub alerts: Alerts,
    pub stats: Stats,
    /// Events per day for the last [`CHART_DAYS`] days, oldest first.
    pub daily: Vec<(String, u64)>,
    /// Violations per rule in the window, most first.
    pub top_rules: Vec<(String, u64)>,
    pub recent_bypasses: Vec<Bypass>,
    /// Events per day and type for the last [`STACKED_DAYS`] days, oldest
    /// first; bypasses are grouped by their category's label
    /// (`bypass: environment variable`), as every report names them.
    pub daily_by_type: Vec<(String, BTreeMap<String, u64>)>,
    /// Bypasses per week for the last [`BYPASS_WEEKS`] weeks, oldest first,
    /// each labelled by its first day.
    pub weekly_bypasses: Vec<(String, u64)>,
    /// Every bypass of the window, by category.
    pub bypasses: Bypasses,
}

pub struct DashboardFold<'a> {
    now: DateTime<FixedOffset>,
    days: u64,
    window: Window,
    stats: StatsFold,
    daily: StatsFold,
    rules: StatsFold,
    score: ScoreFold<'a>,
    alerts: AlertFold<'a>,
    bypasses: Newest<(Event, Option<EventId>)>,
    counted: BypassCount,
    today: NaiveDate,
    stacked_start: DateTime<FixedOffset>,
    daily_by_type: BTreeMap<NaiveDate, BTreeMap<String, u64>>,
    weekly: Vec<u64>,
    show_emails: bool,
}

impl<'a> DashboardFold<'a> {
    pub fn new(now: DateTime<FixedOffset>, days: u64, config: &'a Config) -> DashboardFold<'a> {
        let window = Window::last_days(now, days);
        let counted = BypassCount::new(window, &config.score.bypass_types)
            .treating_justified(config.score.justified_bypasses);
        DashboardFold {
            now,
            days,
            window,
            stats: StatsFold::new(now, days, None).counting(counted.clone()),
            daily: StatsFold::calendar_days(now, CHART_DAYS),
            rules: StatsFold::new(now, days, Some(By::Rule)),
            score: ScoreFold::new(now, &config.score),
            alerts: AlertFold::new(
                now,
                config.alerts.iter().map(|a| a.get_ref()),
                config.score.trend_percent,
            )
            .counting_bypasses(counted.clone()),
            counted,
            bypasses: Newest::new(TOP),
            today: now.date_naive(),
            stacked_start: midnight(
                now,
                now.date_naive() - Duration::days(STACKED_DAYS.max(BYPASS_WEEKS * 7) as i64 - 1),
            ),
            daily_by_type: BTreeMap::new(),
            weekly: vec![0; BYPASS_WEEKS as usize],
            show_emails: config.reports.show_emails,
        }
    }

    pub fn finish(self, malformed: u64) -> Dashboard {
        let mut top_rules: Vec<(String, u64)> = self
            .rules
            .finish(0)
            .groups
            .unwrap_or_default()
            .into_iter()
            .collect();
        top_rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top_rules.truncate(TOP);
        let daily = self
            .daily
            .finish(0)
            .groups
            .unwrap_or_default()
            .into_iter()
            .collect();
        let recent_bypasses = self
            .bypasses
            .finish()
            .into_iter()
            .map(|(e, id)| {
                let user = detail(&e, "user").unwrap_or("");
                Bypass {
                    id: id.map(|id| id.to_string()).unwrap_or_default(),
                    label: id.and_then(|id| self.counted.label_of(id)),
                    when: e.timestamp.format("%Y-%m-%d %H:%M").to_string(),
                    user: if self.show_emails { user } else { user_name(user) }.to_string(),
                    branch: detail(&e, "branch").unwrap_or("").to_string(),
                    method: detail(&e, "bypass_method").unwrap_or("").to_string(),
                    reason: detail(&e, "reason").unwrap_or("").to_string(),
                    category: self
                        .counted
                        .category(&e.event_type)
                        .unwrap_or(BypassCategory::Other),
                    event_type: e.event_type,
                }
            })
            .collect();
        let mut daily_by_type = Vec::new();
        for back in (0..STACKED_DAYS).rev() {
            let day = self.today - Duration::days(back as i64);
            daily_by_type.push((
                day.to_string(),
                self.daily_by_type.get(&day).cloned().unwrap_or_default(),
            ));
        }
        let weekly_bypasses = (0..BYPASS_WEEKS)
            .rev()
            .map(|week| {
                let first = self.today - Duration::days((week * 7 + 6) as i64);
                (first.to_string(), self.weekly[week as usize])
            })
            .collect();
        Dashboard {
            daily_by_type,
            weekly_bypasses,
            generated: self.now.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
            days: self.days,
            score: self.score.finish(malformed),
            alerts: self.alerts.finish(false, malformed),
            stats: self.stats.finish(malformed),
            daily,
            top_rules,
            recent_bypasses,
            bypasses: self.counted.finish(),
        }
    }
}

impl<'a> Split for DashboardFold<'a> {
    fn empty(&self) -> DashboardFold<'a> {
        DashboardFold {
            now: self.now,
            days: self.days,
            window: self.window,
            stats: self.stats.empty(),
            daily: self.daily.empty(),
            rules: self.rules.empty(),
            score: self.score.empty(),
            alerts: self.alerts.empty(),
            bypasses: Newest::new(TOP),
            counted: self.counted.empty(),
            today: self.today,
            stacked_start: self.stacked_start,
            daily_by_type: BTreeMap::new(),
            weekly: vec![0; BYPASS_WEEKS as usize],
            show_emails: self.show_emails,
        }
    }

    fn merge(&mut self, other: DashboardFold<'a>) {
        self.stats.merge(other.stats);
        self.daily.merge(other.daily);
        self.rules.merge(other.rules);
        self.score.merge(other.score);
        self.alerts.merge(other.alerts);
        self.bypasses.merge(other.bypasses);
        self.counted.merge(other.counted);
        for (day, types) in other.daily_by_type {
            let mine = self.daily_by_type.entry(day).or_default();
            for (t, n) in types {
                *mine.entry(t).or_insert(0) += n;
            }
        }
        for (mine, theirs) in self.weekly.iter_mut().zip(other.weekly) {
            *mine += theirs;
        }
    }
}

impl DashboardFold<'_> {
    fn add_at(&mut self, event: &Event, stored: Option<Stored<'_>>) {
        match stored {
            Some(stored) => {
                self.stats.add_stored(event, stored);
                self.score.add_stored(event, stored);
                self.alerts.add_stored(event, stored);
                self.counted.add_stored(event, stored.line);
            }
            None => {
                self.stats.add(event);
                self.score.add(event);
                self.alerts.add(event);
                self.counted.add(event);
            }
        }
        self.daily.add(event);
        if event.event_type == types::VIOLATION_DETECTED {
            self.rules.add(event);
        }
        let category = self.counted.category(&event.event_type);
        if self.window.contains(&event.timestamp) && category.is_some() {
            let position = stored.map_or(0, |s| s.offset);
            self.bypasses.offer(event.timestamp, position, || {
                (event.clone(), stored.map(|s| EventId::of(s.line)))
            });
        }
        if event.timestamp >= self.stacked_start {
            let day = event.timestamp.with_timezone(&self.now.timezone()).date_naive();
            let back = (self.today - day).num_days();
            if (0..STACKED_DAYS as i64).contains(&back) {
                *self
                    .daily_by_type
                    .entry(day)
                    .or_default()
                    .entry(category.map_or_else(|| event.event_type.clone(), |c| c.label().to_string()))
                    .or_insert(0) += 1;
            }
            if (0..(BYPASS_WEEKS * 7) as i64).contains(&back) && category.is_some() {
                self.weekly[(back / 7) as usize] += 1;
            }
        }
    }
}

/// Local midnight of `day` in `now`'s offset.
fn midnight(now: DateTime<FixedOffset>, day: NaiveDate) -> DateTime<FixedOffset> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(now.timezone()).single())
        .unwrap_or(now)
}

impl Fold for DashboardFold<'_> {
    fn add(&mut self, event: &Event) {
        self.add_at(event, None);
    }

    fn add_stored(&mut self, event: &Event, stored: Stored<'_>) {
        self.add_at(event, Some(stored));
    }

    /// Details matter for violations (their rule), bypasses (who, how)
    /// and labels.
    fn needs_details(&self, event: &Event) -> bool {
        event.event_type == types::VIOLATION_DETECTED
            || self.counted.category(&event.event_type).is_some()
            || self.counted.needs_details(event)
    }
}
