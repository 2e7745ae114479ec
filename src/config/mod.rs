//! `.enforce.toml`: the repository's rules and settings.
//!
//! Every key is optional and a missing file means the built-in defaults. Any
//! unknown key is an error rather than a warning: a misspelt key would
//! otherwise leave a rule silently at its default, which for an enforcement
//! tool is the worst failure. Errors carry `file:line:column`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::{Error, Result};
use crate::event::TimestampFormat;

pub mod diff;
mod values;

pub use values::{Glob, NonEmpty, Pattern, Positive, RepoPath, RuleName, TrailerKey};

/// The config file's name, at the root of the work tree.
pub const FILE_NAME: &str = ".enforce.toml";

/// The commented default that `enforce install` writes.
pub const TEMPLATE: &str = include_str!("../../templates/enforce.toml");

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub review: Review,
    pub agent_trailer: AgentTrailer,
    pub rules: Rules,
    pub telemetry: Telemetry,
    pub score: Score,
    /// `[[alerts]]`: when present, replaces the default alerts.
    pub alerts: Vec<Spanned<AlertRule>>,
    pub export: Export,
    pub audit: Audit,
    pub reports: Reports,
}

/// `[reports]`: what the reports show of the people in the log.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Reports {
    /// Show users' e-mail addresses in dashboards (by default only their
    /// names: a dashboard is often committed or shared).
    pub show_emails: bool,
}

/// `[audit]`: how `enforce audit` (and a server's `pre-receive`) judges
/// commits that already exist. Read, like every rule, from the policy
/// committed in history, never from the work tree.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Audit {
    /// A bypass the hooks recorded in a commit's receipt (a skip variable,
    /// `--no-verify`) lets the commit land, unless the rule is `required`.
    /// By default every recorded bypass is an offence.
    pub allow_bypasses: bool,
    /// The full id of the last commit made before enforce was adopted:
    /// it and its ancestors are not judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<Spanned<String>>,
}

impl Audit {
    /// The `since` commit id, if set.
    pub fn since(&self) -> Option<&str> {
        self.since.as_ref().map(|s| s.get_ref().as_str())
    }
}

/// `[export]`: feeding the tools a team already runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Export {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusExport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otlp: Option<OtlpExport>,
}

/// `[export.prometheus]`: every hook and command that appends to the log
/// refreshes `textfile` in the background, for node_exporter's textfile
/// collector.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrometheusExport {
    /// The file to keep current, relative to the repository root unless
    /// absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub textfile: Option<PathBuf>,
    /// The `repo` label of every series [default: the repository's
    /// directory name].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<Spanned<String>>,
}

/// `[export.otlp]`: post-commit starts `enforce export otlp` in the
/// background after each commit. The `OTEL_EXPORTER_OTLP_*` variables win.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpExport {
    /// The collector's OTLP/HTTP base URL (`/v1/logs` is appended).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Send the user's email address (by default only the name is sent).
    pub include_user_email: bool,
    /// Log records per request.
    pub batch_size: Positive,
    /// Seconds one request may take.
    pub timeout_seconds: Positive,
    /// Start an export after each commit.
    pub after_commit: bool,
}

impl Default for OtlpExport {
    fn default() -> OtlpExport {
        OtlpExport {
            endpoint: None,
            include_user_email: false,
            batch_size: Positive(512),
            timeout_seconds: Positive(10),
            after_commit: true,
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            review: Review::default(),
            agent_trailer: AgentTrailer::default(),
            rules: Rules::default(),
            telemetry: Telemetry::default(),
            score: Score::default(),
            alerts: default_alerts(),
            export: Export::default(),
            audit: Audit::default(),
            reports: Reports::default(),
        }
    }
}

/// `[score]`: the effectiveness rating's thresholds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Score {
    /// The length of the current and of the previous window.
    pub window_days: Positive,
    /// A change beyond this many percent is a trend.
    pub trend_percent: u64,
    /// Fewer violations than this (and import_blocked decreasing or zero):
    /// excellent.
    pub excellent_below: u64,
    /// At least this many violations: concerning.
    pub concerning_from: u64,
    /// More violations than this: critical.
    pub critical_above: u64,
    /// More bypasses than this: critical (any bypass: concerning).
    pub critical_bypasses_above: u64,
    /// The event types that count as bypasses.
    pub bypass_types: Vec<String>,
    /// Whether a bypass a person labelled justified (`enforce label`)
    /// still counts towards a critical rating and CRITICAL alerts.
    pub justified_bypasses: JustifiedBypasses,
}

/// `[score] justified_bypasses`: how the reports treat a bypass labelled
/// justified. It always counts as a bypass; this says whether it can make
/// the rating critical or an alert CRITICAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JustifiedBypasses {
    /// Like any other bypass (the behaviour without labels).
    #[default]
    Critical,
    /// Never critical: a justified bypass keeps the rating at concerning
    /// at worst, and an alert it alone would make CRITICAL is a WARNING.
    NonCritical,
}

impl JustifiedBypasses {
    /// The name the config file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            JustifiedBypasses::Critical => "critical",
            JustifiedBypasses::NonCritical => "non-critical",
        }
    }
}

impl Default for Score {
    fn default() -> Score {
        Score {
            window_days: Positive(7),
            trend_percent: 20,
            excellent_below: 2,
            concerning_from: 5,
            critical_above: 10,
            critical_bypasses_above: 1,
            bypass_types: vec!["commit_review_bypassed".to_string(), "rule_weakened".to_string()],
            justified_bypasses: JustifiedBypasses::Critical,
        }
    }
}

/// How serious an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Critical,
}

/// A direction a count can move in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Increasing,
    Decreasing,
}

/// `[[alerts]]`: one alert rule. It fires when the count of `event_types`
/// in the last `window_days` is `above` a threshold, or moves in `trend`
/// compared with the window before. Per metric, the first rule that fires
/// wins, so a critical rule listed before a warning one replaces it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// The name scripts see (`metric` in `alert --json`).
    pub metric: String,
    pub event_types: Vec<String>,
    #[serde(default = "seven_days")]
    pub window_days: Positive,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<Direction>,
    pub level: Level,
    /// `{count}`, `{previous}`, `{threshold}` and `{window_days}` are filled in.
    pub message: String,
}

fn seven_days() -> Positive {
    Positive(7)
}

/// The predecessor's alerts.
pub fn default_alerts() -> Vec<Spanned<AlertRule>> {
    let rule = |metric: &str, event_type: &str, above: Option<u64>, trend, level, message: &str| {
        Spanned::new(
            0..0,
            AlertRule {
                metric: metric.into(),
                event_types: vec![event_type.into()],
                window_days: Positive(7),
                above,
                trend,
                level,
                message: message.into(),
            },
        )
    };
    vec![
        rule(
            "bypasses",
            "commit_review_bypassed",
            Some(0),
            None,
            Level::Critical,
            "Review bypassed {count} time(s) this week",
        ),
        rule(
            "violations",
            "violation_detected",
            Some(10),
            None,
            Level::Critical,
            "{count} violations this week (more than {threshold})",
        ),
        rule(
            "violations",
            "violation_detected",
            Some(5),
            None,
            Level::Warning,
            "{count} violations this week (more than {threshold})",
        ),
        rule(
            "rule_weakened",
            "rule_weakened",
            Some(0),
            None,
            Level::Critical,
            "Rules weakened {count} time(s) this week",
        ),
        rule(
            "import_blocked",
            "import_blocked",
            None,
            Some(Direction::Increasing),
            Level::Warning,
            "Blocked imports increasing: {count} this week, {previous} the week before",
        ),
    ]
}

/// What a rule does when it finds a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Block the commit.
    #[default]
    Enforce,
    /// Record what would have been blocked, say so, and let the commit through.
    Audit,
    /// Do nothing.
    Off,
}

impl Mode {
    /// The name used in the config file and in events.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
            Mode::Off => "off",
        }
    }
}

/// How a rule treats merge commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MergePolicy {
    /// Merges need no check; the exemption is recorded.
    #[default]
    Exempt,
    /// Merges are checked like any commit.
    Check,
}

/// `[review]`: staged changes need an approval bound to exactly what is staged.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Review {
    pub mode: Mode,
    /// The reviewer named in events and in `enforce review approve`.
    pub reviewer: NonEmpty,
    /// How long an approval stays valid.
    pub max_age_seconds: Positive,
    /// The trailer added to a commit that consumed an approval; "" for none.
    pub trailer: TrailerKey,
    pub merges: MergePolicy,
    /// When true, `PILOT_SKIP_REVIEW=1` does not let a commit through.
    pub required: bool,
    /// The command that runs the reviewer, shown when a commit is blocked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// When true, an approval counts only when it is signed by a key the
    /// signers file allows (docs/review.md).
    pub require_signature: bool,
    /// Who may sign approvals: a file committed in the repository, in
    /// git's allowed-signers format, read as committed at the first parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signers: Option<RepoPath>,
    /// Revoked keys, one public key a line (`gpg.ssh.revocationFile`),
    /// committed like the signers file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocations: Option<RepoPath>,
}

impl Default for Review {
    fn default() -> Review {
        Review {
            mode: Mode::Enforce,
            reviewer: NonEmpty("git-reviewer".into()),
            max_age_seconds: Positive(3600),
            trailer: TrailerKey("Reviewed-by".into()),
            merges: MergePolicy::Exempt,
            required: false,
            command: None,
            require_signature: false,
            signers: None,
            revocations: None,
        }
    }
}

/// `[agent_trailer]`: the commit message names the agent that wrote it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentTrailer {
    pub mode: Mode,
    /// The trailers that name the agent; the first one present counts.
    pub trailers: Vec<AgentKey>,
    /// Attribution trailers other tools write, accepted after `trailers`
    /// in this order (see [`Preset`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub presets: Vec<Preset>,
    /// When not empty, the agent named must be one of these
    /// (compared case-insensitively).
    pub allowed_agents: Vec<String>,
    pub merges: MergePolicy,
    /// When true, `PILOT_SKIP_AGENT_TRAILER=1` does not let a commit through.
    pub required: bool,
}

impl Default for AgentTrailer {
    fn default() -> AgentTrailer {
        AgentTrailer {
            mode: Mode::Enforce,
            trailers: vec![AgentKey {
                key: TrailerKey("Agent".into()),
                pattern: None,
            }],
            presets: Vec::new(),
            allowed_agents: Vec::new(),
            merges: MergePolicy::Exempt,
            required: false,
        }
    }
}

/// An attribution trailer the ecosystem writes, accepted by
/// `presets = [...]` in `[agent_trailer]`; `rules::agent_trailer` reads
/// each (docs/rules.md says where each form comes from).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preset {
    /// The Linux kernel's `Assisted-by: AGENT:MODEL [tool1] [tool2]`.
    #[serde(rename = "assisted-by")]
    Assisted,
    /// `Co-authored-by:` naming an identity an agent tool writes (a
    /// human co-author does not count).
    #[serde(rename = "co-authored-by")]
    CoAuthored,
    /// `Generated-by: AGENT`, `AGENT:MODEL` or `AGENT (MODEL)`.
    #[serde(rename = "generated-by")]
    Generated,
}

impl Preset {
    /// The name `presets` gives it.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Assisted => "assisted-by",
            Preset::CoAuthored => "co-authored-by",
            Preset::Generated => "generated-by",
        }
    }

    /// The trailer key, as its writers spell it (compared case-insensitively).
    pub fn key(self) -> &'static str {
        match self {
            Preset::Assisted => "Assisted-by",
            Preset::CoAuthored => "Co-authored-by",
            Preset::Generated => "Generated-by",
        }
    }
}

/// One trailer key that names the agent, with an optional pattern its value
/// must match (so `Co-Authored-By: Some Human` does not count as an agent).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentKey {
    pub key: TrailerKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Pattern>,
}

/// `[rules]`: content rules over the lines a commit adds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// Files whose added text is larger than this are not scanned (counted).
    pub max_file_bytes: u64,
    pub content: Vec<ContentRule>,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            max_file_bytes: 1024 * 1024,
            content: Vec::new(),
        }
    }
}

/// `[[rules.content]]`: a named pattern on added lines.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentRule {
    pub name: Spanned<RuleName>,
    pub pattern: Pattern,
    /// Globs of the paths the rule applies to; a glob without `/` matches
    /// the file name at any depth.
    #[serde(default = "every_path")]
    pub paths: Vec<Glob>,
    #[serde(default)]
    pub exclude: Vec<Glob>,
    #[serde(default)]
    pub severity: Severity,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub mode: Mode,
}

fn every_path() -> Vec<Glob> {
    vec![Glob::new("**").expect("`**` is a valid glob")]
}

/// How serious a content rule's hit is; recorded in `violation_detected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// `[telemetry]`: where and how events are recorded.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Telemetry {
    /// The events file, relative to the repository root unless absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_file: Option<Spanned<PathBuf>>,
    /// How timestamps are written.
    pub timestamp_format: TimestampFormat,
    /// Whether a rule that passes gets its own event besides the hook's
    /// `hook_summary`.
    pub detail: Detail,
}

/// `[telemetry] detail`: how much a hook records.
///
/// Every hook run records one `hook_summary` with each rule it evaluated.
/// Denials, bypasses, audits, violations and `commit_completed` are always
/// their own events (the reports, `audit` and post-commit's check of the
/// attempt note count them one by one); `full` also gives the rules that
/// passed or were exempt theirs (`commit_review_required`,
/// `commit_merge_exempt`, `commit_gitignore_only`), as the predecessor's
/// reports expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Detail {
    #[default]
    Full,
    Summary,
}

/// A configuration and the file it came from.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub config: Config,
    /// The file that was read; `None` when the built-in defaults apply.
    pub path: Option<PathBuf>,
    /// Its text, to compare with the config committed at HEAD.
    pub text: Option<String>,
}

/// Loads `.enforce.toml` from the work tree root `root`, or the defaults
/// when there is no such file.
pub fn load(root: &Path) -> Result<Loaded> {
    let path = root.join(FILE_NAME);
    let text = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => return Err(Error::io("read the config file", path, e)),
    };
    let text = utf8(text, &path)?;
    let config = parse(&text, &path)?;
    Ok(Loaded {
        config,
        path: Some(path),
        text: Some(text),
    })
}

/// Loads a policy from the file `path`, wherever it is (a proposal for
/// `enforce backtest`); a missing file is an error.
pub fn load_file(path: &Path) -> Result<Config> {
    let bytes = fs::read(path).map_err(|e| Error::io("read the config file", path, e))?;
    parse(&utf8(bytes, path)?, path)
}

/// The text of a config file, or where it stops being UTF-8.
fn utf8(bytes: Vec<u8>, path: &Path) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(
            &String::from_utf8_lossy(e.as_bytes()),
            e.utf8_error().valid_up_to(),
        );
        Error::Config {
            path: path.to_path_buf(),
            line,
            column,
            message: "the file is not valid UTF-8".into(),
        }
    })
}

/// The policy a commit records in its `.enforce.toml` (`bytes`, `None`
/// when it has none: the built-in defaults).
pub fn committed(bytes: Option<&[u8]>) -> Result<Config> {
    match bytes {
        None => Ok(Config::default()),
        Some(bytes) => parse(&String::from_utf8_lossy(bytes), Path::new(FILE_NAME)),
    }
}

/// Parses and validates config text; `path` is only used in error messages.
pub fn parse(text: &str, path: &Path) -> Result<Config> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |span| span.start);
        error_at(text, path, at, e.message().trim_end())
    })?;
    validate(&config, text, path)?;
    Ok(config)
}

/// The most content rules a config may have. Every added line is matched
/// against every rule that applies to its file, on every commit: 20,000
/// rules made a commit take half a minute.
pub const MAX_CONTENT_RULES: usize = 500;

/// The longest pattern a content rule may have, in bytes.
pub const MAX_PATTERN_BYTES: usize = 4096;

/// Checks what the types alone cannot.
fn validate(config: &Config, text: &str, path: &Path) -> Result<()> {
    if let Some(extra) = config.rules.content.get(MAX_CONTENT_RULES) {
        return Err(error_at(
            text,
            path,
            extra.name.span().start,
            &format!(
                "{} content rules: a config may have at most {MAX_CONTENT_RULES} (each added line is matched against each of them on every commit); merge rules into one pattern with `|`",
                config.rules.content.len()
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for rule in &config.rules.content {
        let name = rule.name.get_ref().as_str();
        if rule.pattern.as_str().len() > MAX_PATTERN_BYTES {
            return Err(error_at(
                text,
                path,
                rule.name.span().start,
                &format!(
                    "the pattern of content rule `{name}` is {} bytes: at most {MAX_PATTERN_BYTES}",
                    rule.pattern.as_str().len()
                ),
            ));
        }
        if !seen.insert(name) {
            return Err(error_at(
                text,
                path,
                rule.name.span().start,
                &format!("a content rule named `{name}` is already defined: rule names must be unique"),
            ));
        }
    }
    if config.review.require_signature && config.review.signers.is_none() {
        let at = text.find("require_signature").unwrap_or(0);
        return Err(error_at(
            text,
            path,
            at,
            "`require_signature = true` in [review] needs `signers`, the committed file of who may sign, e.g. signers = \".enforce/allowed_signers\"",
        ));
    }
    let agent = &config.agent_trailer;
    if agent.mode != Mode::Off
        && ((agent.trailers.is_empty() && agent.presets.is_empty())
            || agent.trailers.iter().any(|t| t.key.is_empty()))
    {
        let at = text.find("trailers").unwrap_or(0);
        return Err(error_at(
            text,
            path,
            at,
            "`trailers` in [agent_trailer] needs at least one non-empty key, e.g. [{ key = \"Agent\" }] (or `presets`, e.g. presets = [\"assisted-by\"], or set mode = \"off\")",
        ));
    }
    for alert in &config.alerts {
        let rule = alert.get_ref();
        let problem = match (rule.above, rule.trend) {
            (Some(_), Some(_)) => Some("an alert has both `above` and `trend`: give one of them"),
            (None, None) => Some("an alert needs `above = N` (a count) or `trend = \"increasing\"`"),
            _ if rule.event_types.is_empty() => {
                Some("an alert needs at least one event type in `event_types`")
            }
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(error_at(text, path, alert.span().start, problem));
        }
    }
    let score = &config.score;
    let problem = if score.excellent_below > score.concerning_from
        || score.concerning_from > score.critical_above.saturating_add(1)
    {
        Some(format!(
            "the [score] thresholds must rise: excellent_below ({}) ≤ concerning_from ({}) ≤ critical_above + 1 ({}), or a rating could never be reached",
            score.excellent_below,
            score.concerning_from,
            score.critical_above.saturating_add(1)
        ))
    } else if score.window_days.get() > crate::event::window::MAX_DAYS {
        Some(format!(
            "`window_days` in [score] is at most {} (a thousand years), got {}",
            crate::event::window::MAX_DAYS,
            score.window_days.get()
        ))
    } else {
        None
    };
    if let Some(problem) = problem {
        let at = text.find("[score]").unwrap_or(0);
        return Err(error_at(text, path, at, &problem));
    }
    if let Some(since) = &config.audit.since {
        let id = since.get_ref();
        if !matches!(id.len(), 40 | 64) || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(error_at(
                text,
                path,
                since.span().start,
                &format!(
                    "`since` in [audit] must be a full commit id (40 hex digits, 64 in a SHA-256 repository), got `{id}`: `git rev-parse <commit>` prints it"
                ),
            ));
        }
    }
    if let Some(repo) = config.export.prometheus.as_ref().and_then(|p| p.repo.as_ref())
        && repo.get_ref().trim().is_empty()
    {
        return Err(error_at(
            text,
            path,
            repo.span().start,
            "`repo` in [export.prometheus] is empty: name the repository as its series should be labelled, or remove the key to use the directory's name",
        ));
    }
    if let Some(file) = &config.telemetry.events_file
        && file.get_ref().as_os_str().is_empty()
    {
        return Err(error_at(
            text,
            path,
            file.span().start,
            "`events_file` is empty: name a file, or remove the key to use the default",
        ));
    }
    Ok(())
}

pub(crate) fn error_at(text: &str, path: &Path, offset: usize, message: &str) -> Error {
    let (line, column) = line_column(text, offset);
    Error::Config {
        path: path.to_path_buf(),
        line,
        column,
        message: message.to_string(),
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

impl Config {
    /// The configuration as TOML, for `enforce config show`.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> (usize, usize, String) {
        match parse(text, Path::new("x.toml")) {
            Err(Error::Config {
                line,
                column,
                message,
                ..
            }) => (line, column, message),
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn prometheus_repo_label_must_name_something() {
        let (line, column, message) = error("[export.prometheus]\nrepo = \" \"\n");
        assert_eq!((line, column), (2, 8));
        assert!(
            message.starts_with("`repo` in [export.prometheus] is empty"),
            "{message}"
        );
        let config = parse("[export.prometheus]\nrepo = \"billing\"\n", Path::new("x.toml")).unwrap();
        let prometheus = config.export.prometheus.unwrap();
        assert_eq!(prometheus.repo.unwrap().get_ref(), "billing");
        assert!(prometheus.textfile.is_none());
    }

    #[test]
    fn template_is_the_default() {
        let parsed = parse(TEMPLATE, Path::new("template")).unwrap();
        assert_eq!(parsed.to_toml(), Config::default().to_toml());
    }

    #[test]
    fn empty_file_is_the_default() {
        assert_eq!(
            parse("", Path::new("x")).unwrap().to_toml(),
            Config::default().to_toml()
        );
    }

    #[test]
    fn unknown_keys_are_errors_with_position() {
        let (line, column, message) =
            error("[telemetry]\ntimestamp_format = \"naive\"\nevnts_file = \"x\"\n");
        assert_eq!((line, column), (3, 1));
        assert!(message.contains("unknown field `evnts_file`"), "{message}");

        let (line, column, message) = error("\n[telemtry]\n");
        assert_eq!((line, column), (2, 2));
        assert!(message.contains("telemtry"), "{message}");
    }

    #[test]
    fn bad_values_and_syntax_have_positions() {
        let (line, column, message) = error("[telemetry]\ntimestamp_format = \"iso\"\n");
        assert_eq!((line, column), (2, 20));
        assert!(message.contains("rfc3339"), "{message}");

        let (line, _, _) = error("[telemetry\n");
        assert_eq!(line, 1);

        let (line, column, message) = error("[telemetry]\n  events_file = \"\"\n");
        assert_eq!((line, column), (2, 17));
        assert!(message.contains("empty"), "{message}");

        let (line, column, message) = error("[audit]\nsince = \"HEAD~3\"\n");
        assert_eq!((line, column), (2, 9));
        assert!(message.contains("must be a full commit id"), "{message}");
        let id = "0123456789abcdef0123456789abcdef01234567";
        let parsed = parse(
            &format!("[audit]\nsince = \"{id}\"\nallow_bypasses = true\n"),
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(parsed.audit.since(), Some(id));
        assert!(parsed.audit.allow_bypasses);
    }

    #[test]
    fn presets_are_named_and_may_stand_alone() {
        let parsed = parse(
            "[agent_trailer]\ntrailers = []\npresets = [\"co-authored-by\", \"assisted-by\"]\n",
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(
            parsed.agent_trailer.presets,
            [Preset::CoAuthored, Preset::Assisted]
        );
        assert!(
            parsed
                .to_toml()
                .contains("presets = [\"co-authored-by\", \"assisted-by\"]")
        );
        // Without presets the serialized policy (and its digest) is as it was.
        assert!(!Config::default().to_toml().contains("presets"));

        let (line, column, message) = error("[agent_trailer]\npresets = [\"signed-off-by\"]\n");
        assert_eq!((line, column), (2, 12));
        assert!(
            message.contains("unknown variant `signed-off-by`")
                && message.contains("`assisted-by`, `co-authored-by`, `generated-by`"),
            "{message}"
        );
        let (_, _, message) = error("[agent_trailer]\ntrailers = []\npresets = []\n");
        assert!(message.contains("or `presets`"), "{message}");
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_column("ab\néé=x", 8), (2, 4));
    }
}
