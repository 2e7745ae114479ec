//! Rule weakening is an event: a commit that changes `.enforce.toml` is
//! compared setting by setting with the config it replaces.
//!
//! Recorded by post-commit (and post-merge), when the commit exists, so an
//! attempt that was blocked is not counted, and a change sneaked in with
//! `--no-verify` or carried by a cherry-pick still is.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::context::{HookContext, with};
use crate::config::{self, Config, Review, diff};
use crate::event::types;
use crate::receipt::ApprovalUsed;
use crate::signing::trust;

/// An edit of `.enforce.toml` nobody committed: the hooks judged the
/// commit under the committed config, and the work tree's is a proposal.
/// Each setting it would weaken is recorded as `rule_weakened`
/// (`bypass_method: "uncommitted config edit"`), so an attempt to switch
/// the rules off in the work tree shows in the log and the reports.
pub fn record_proposal(ctx: &HookContext, old_tree: &str, new_tree: &str, file_details: &Map<String, Value>) {
    let path = Path::new(config::FILE_NAME);
    let Some(committed) = ctx.git.blob_at(old_tree, path) else {
        return;
    };
    if ctx.git.blob_at(new_tree, path).as_ref() != Some(&committed)
        || ctx.config_text().map(str::as_bytes) == Some(committed.as_slice())
    {
        return;
    }
    let Ok(before) = config::parse(&String::from_utf8_lossy(&committed), path) else {
        return;
    };
    for change in diff::diff(&before, &ctx.config).iter().filter(|c| c.weakens) {
        let recorded = record_weakened(
            ctx,
            file_details,
            change,
            json!({ "bypass_method": "uncommitted config edit", "uncommitted": true }),
        );
        crate::notice::warning(format!(
            "the work tree's .enforce.toml, not committed, weakens `{}` ({}: {} → {}); the committed config applied; {}",
            change.rule,
            change.setting,
            change.from,
            change.to,
            crate::event::recorded_as(recorded, types::RULE_WEAKENED)
        ));
    }
}

/// One `rule_weakened` for `change`, with `how` (the bypass method, and
/// whether the change is uncommitted); whether it was recorded.
fn record_weakened(
    ctx: &HookContext,
    file_details: &Map<String, Value>,
    change: &diff::Change,
    how: Value,
) -> bool {
    let fields = with(
        file_details.clone(),
        json!({
            "rule": change.rule,
            "setting": change.setting,
            "from": change.from,
            "to": change.to,
        }),
    );
    ctx.recorder.record(types::RULE_WEAKENED, with(fields, how))
}

/// Records `config_changed` and one `rule_weakened` per weakened setting
/// when the config differs between `old_tree` and `new_tree`.
pub fn record(ctx: &HookContext, old_tree: &str, new_tree: &str, file_details: &Map<String, Value>) {
    let path = Path::new(config::FILE_NAME);
    let old = ctx.git.blob_at(old_tree, path);
    let new = ctx.git.blob_at(new_tree, path);
    if old == new {
        return;
    }
    let parse = |bytes: &Option<Vec<u8>>| -> Result<Config, String> {
        match bytes {
            None => Ok(Config::default()),
            Some(bytes) => config::parse(&String::from_utf8_lossy(bytes), path).map_err(|e| e.to_string()),
        }
    };
    let before = parse(&old).unwrap_or_default();
    let after = match parse(&new) {
        Ok(config) => config,
        Err(problem) => {
            ctx.recorder.record(
                types::CONFIG_CHANGED,
                with(file_details.clone(), json!({ "changes": [], "invalid": problem })),
            );
            return;
        }
    };
    let changes = diff::diff(&before, &after);
    if changes.is_empty() {
        return;
    }
    let listed: Vec<Value> = changes
        .iter()
        .map(|c| json!({ "rule": c.rule, "setting": c.setting, "from": c.from, "to": c.to, "weakens": c.weakens }))
        .collect();
    ctx.recorder.record(
        types::CONFIG_CHANGED,
        with(file_details.clone(), json!({ "changes": listed })),
    );
    for change in changes.iter().filter(|c| c.weakens) {
        let recorded = record_weakened(
            ctx,
            file_details,
            change,
            json!({ "bypass_method": "config change" }),
        );
        crate::notice::warning(format!(
            "this commit weakens `{}` ({}: {} → {}); {}",
            change.rule,
            change.setting,
            change.from,
            change.to,
            crate::event::recorded_as(recorded, types::RULE_WEAKENED)
        ));
    }
}

/// Records `policy_changed` when the commit changes `.enforce.toml`, the
/// signers or the revocations file (by blob, not by the paths listed),
/// naming the approval's signer: who let the rules change.
pub fn record_policy(
    ctx: &HookContext,
    old_tree: &str,
    new_tree: &str,
    file_details: &Map<String, Value>,
    review: &Review,
    approval: Option<&ApprovalUsed>,
) {
    let changed: Vec<String> = trust::policy_files(review)
        .into_iter()
        .filter(|path| {
            let id = |tree: &str| ctx.git.blob_id_in(tree, path).ok().flatten();
            id(old_tree) != id(new_tree)
        })
        .map(|path| path.to_string_lossy().into_owned())
        .collect();
    if changed.is_empty() {
        return;
    }
    let signed = approval.and_then(|a| a.signed.as_ref());
    ctx.recorder.record(
        types::POLICY_CHANGED,
        with(
            file_details.clone(),
            json!({
                "policy_files": changed,
                "reviewer": approval.map(|a| a.reviewer.clone()),
                "signed_by": signed.map(|s| s.payload.principal.clone()),
                "key": signed.and_then(|s| crate::signing::verify::signer_fingerprint(&s.signature)),
                "namespace": signed.map(|s| s.payload.namespace.clone()),
            }),
        ),
    );
}
