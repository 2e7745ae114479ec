//! `enforce advise --patch`: the suggested changes as a unified diff of
//! `.enforce.toml`, for a person to review and `git apply`. Nothing here
//! writes a file: it is handed the config text and returns the diff.
//!
//! The text is edited with `toml_edit`, so comments, order and layout stay
//! as they were; only the keys a suggestion names change. A drafted
//! content rule is appended as a comment: its pattern is for a person to
//! write.

use std::path::Path;

use similar::TextDiff;
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, TableLike, Value};

use super::{Advice, Change};
use crate::config::{self, FILE_NAME};
use crate::error::{Error, Result};
use crate::rules::{AGENT_TRAILER, REVIEW, REVIEW_TRAILER};

/// The diff of `current` (the work tree's `.enforce.toml`, `None` when
/// there is none: the diff then creates it) with every change `advice`
/// suggests, preceded by `# ` lines saying what each change is for (which
/// `git apply` skips). `None` when no suggestion changes the file.
pub fn diff(advice: &Advice, current: Option<&str>) -> Result<Option<String>> {
    let old = current.unwrap_or("");
    let mut doc: DocumentMut = old.parse().map_err(|e: toml_edit::TomlError| {
        let at = e.span().map_or(0, |s| s.start);
        config::error_at(old, Path::new(FILE_NAME), at, e.message())
    })?;
    let mut notes = Vec::new();
    for suggestion in &advice.suggestions {
        let Some(change) = &suggestion.change else {
            continue;
        };
        if apply(&mut doc, change, &advice.until)? {
            notes.push(format!(
                "{} `{}`: {} ({})",
                suggestion.kind.as_str(),
                suggestion.rule,
                describe(change),
                suggestion.summary
            ));
        }
    }
    let new = doc.to_string();
    if new == old || notes.is_empty() {
        return Ok(None);
    }
    let mut out = format!(
        "# {FILE_NAME} as `enforce advise` suggests it ({} days to {}); nothing was written.\n# Review each change, then `git apply` this and commit what you keep:\n",
        advice.days,
        &advice.until[..advice.until.len().min(10)]
    );
    for (i, note) in notes.iter().enumerate() {
        out.push_str(&format!("#  {}. {}\n", i + 1, note.replace('\n', " ")));
    }
    let from = match current {
        Some(_) => format!("a/{FILE_NAME}"),
        None => "/dev/null".to_string(),
    };
    let diff = TextDiff::from_lines(old, new.as_str());
    out.push_str(
        &diff
            .unified_diff()
            .context_radius(3)
            .header(&from, &format!("b/{FILE_NAME}"))
            .to_string(),
    );
    Ok(Some(out))
}

/// A change in the words of the config.
fn describe(change: &Change) -> String {
    match change {
        Change::SetMode { rule, mode } => format!("mode = \"{mode}\" in {}", table_name(rule)),
        Change::Require { rule } => format!("required = true in {}", table_name(rule)),
        Change::Remove { rule } => format!("remove the [[rules.content]] named `{rule}`"),
        Change::Draft { rule, .. } => {
            format!("a [[rules.content]] `{rule}` drafted as a comment, its pattern to write")
        }
    }
}

fn table_name(rule: &str) -> String {
    match rule {
        REVIEW | REVIEW_TRAILER => "[review]".into(),
        AGENT_TRAILER => "[agent_trailer]".into(),
        _ => format!("the [[rules.content]] named `{rule}`"),
    }
}

/// Applies one change; false when it changes nothing (the rule is gone
/// from the text, or already so).
fn apply(doc: &mut DocumentMut, change: &Change, until: &str) -> Result<bool> {
    match change {
        Change::SetMode { rule, mode } => set(doc, rule, "mode", Value::from(*mode)),
        Change::Require { rule } => set(doc, rule, "required", Value::from(true)),
        Change::Remove { rule } => Ok(remove_content(doc, rule)),
        Change::Draft {
            rule,
            paths,
            severity,
            message,
            why,
        } => {
            let mut text = doc.trailing().as_str().unwrap_or("").to_string();
            if !doc.to_string().is_empty() {
                text.push('\n');
            }
            let paths: toml_edit::Array = paths.iter().map(String::as_str).collect();
            let lines = [
                format!(
                    "Drafted by `enforce advise` on {}: {why}.",
                    &until[..until.len().min(10)]
                ),
                "Write its pattern, then remove the \"# \" before each line of it:".to_string(),
                "[[rules.content]]".to_string(),
                format!("name = {}", Value::from(rule.as_str())),
                "pattern = ''   # write it: as it is, it matches every line".to_string(),
                format!("paths = {}", Value::Array(paths)),
                format!("severity = {}", Value::from(severity.as_str())),
                format!("message = {}", Value::from(message.as_str())),
                "mode = \"audit\"".to_string(),
            ];
            for line in lines {
                text.push_str("# ");
                text.push_str(line.replace('\n', " ").trim_end());
                text.push('\n');
            }
            doc.set_trailing(text);
            Ok(true)
        }
    }
}

/// Sets `key` of `rule`'s table to `value`, keeping the old value's
/// comments; creates the table for a built-in rule that has none.
fn set(doc: &mut DocumentMut, rule: &str, key: &str, value: Value) -> Result<bool> {
    let table: &mut dyn TableLike = match rule {
        REVIEW | REVIEW_TRAILER | AGENT_TRAILER => {
            let section = if rule == AGENT_TRAILER {
                "agent_trailer"
            } else {
                "review"
            };
            if !doc.contains_key(section) {
                // A new table goes last, after the comments that end the
                // file, a blank line apart from what is above it.
                let mut table = Table::new();
                let above = doc.to_string();
                let trailing = doc.trailing().as_str().unwrap_or("").to_string();
                if !above.trim().is_empty() {
                    table.decor_mut().set_prefix(format!("{trailing}\n"));
                    doc.set_trailing("");
                }
                doc.insert(section, Item::Table(table));
            }
            let item = doc.get_mut(section).ok_or_else(|| not_a_table(section))?;
            item.as_table_like_mut().ok_or_else(|| not_a_table(section))?
        }
        _ => match content_rule(doc, rule) {
            Some(table) => table,
            None => return Ok(false),
        },
    };
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            if old.to_string().trim() == value.to_string().trim() {
                return Ok(false);
            }
            let decor = old.decor().clone();
            *old = value;
            *old.decor_mut() = decor;
        }
        _ => {
            table.insert(key, Item::Value(value));
        }
    }
    Ok(true)
}

fn not_a_table(section: &str) -> Error {
    Error::usage(
        format!("`{section}` in {FILE_NAME} is not a table, so the patch cannot change it"),
        format!("make it a [{section}] table, then run `enforce advise --patch` again"),
    )
}

/// The content rule named `rule`, as an `[[rules.content]]` table or an
/// inline table in `content = [...]`.
fn content_rule<'d>(doc: &'d mut DocumentMut, rule: &str) -> Option<&'d mut dyn TableLike> {
    let content = doc.get_mut("rules")?.as_table_like_mut()?.get_mut("content")?;
    let named = |t: &dyn TableLike| t.get("name").and_then(Item::as_str) == Some(rule);
    match content {
        Item::ArrayOfTables(tables) => tables
            .iter_mut()
            .find(|t| named(*t))
            .map(|t| t as &mut dyn TableLike),
        Item::Value(Value::Array(array)) => array.iter_mut().find_map(|v| match v {
            Value::InlineTable(t) if named(t) => Some(t as &mut dyn TableLike),
            _ => None,
        }),
        _ => None,
    }
}

/// Removes the content rule named `rule`; false when there is none.
fn remove_content(doc: &mut DocumentMut, rule: &str) -> bool {
    let Some(content) = doc
        .get_mut("rules")
        .and_then(Item::as_table_like_mut)
        .and_then(|t| t.get_mut("content"))
    else {
        return false;
    };
    let named = |t: &dyn TableLike| t.get("name").and_then(Item::as_str) == Some(rule);
    match content {
        Item::ArrayOfTables(tables) => remove_table(tables, named),
        Item::Value(Value::Array(array)) => {
            let Some(at) = array
                .iter()
                .position(|v| v.as_inline_table().is_some_and(|t| named(t)))
            else {
                return false;
            };
            let removed = array.remove(at);
            // The next one takes the removed one's place, spacing and all.
            if let (Some(next), Some(prefix)) = (array.get_mut(at), removed.decor().prefix()) {
                next.decor_mut().set_prefix(prefix.clone());
            }
            true
        }
        _ => false,
    }
}

fn remove_table(tables: &mut ArrayOfTables, named: impl Fn(&dyn TableLike) -> bool) -> bool {
    let at = tables.iter().position(|t| named(t));
    match at {
        Some(i) => {
            tables.remove(i);
            true
        }
        None => false,
    }
}
