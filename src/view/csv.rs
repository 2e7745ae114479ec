//! CSV views, for spreadsheets and scripts.

use crate::report::events::Listing;
use crate::report::stats::{By, Stats};

fn finish(writer: csv::Writer<Vec<u8>>) -> String {
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// `key,count` rows (the key column named after the breakdown).
pub fn stats(stats: &Stats) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let (by, rows): (By, Vec<(&String, &u64)>) = match (&stats.by, &stats.groups) {
        (Some(by), Some(groups)) => (*by, groups.iter().collect()),
        _ => (By::Type, stats.by_type.iter().collect()),
    };
    let column = match by {
        By::Type => "event_type",
        other => other.as_str(),
    };
    let _ = writer.write_record([column, "count"]);
    for (key, count) in rows {
        let _ = writer.write_record([key.as_str(), &count.to_string()]);
    }
    finish(writer)
}

/// One row per event; details as a JSON object.
pub fn events(listing: &Listing) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(["timestamp", "event_type", "source", "details"]);
    for event in &listing.events {
        let details = serde_json::to_string(&event.details).unwrap_or_default();
        let _ = writer.write_record([
            event.timestamp.to_rfc3339().as_str(),
            &event.event_type,
            &event.source,
            &details,
        ]);
    }
    finish(writer)
}
