//! Printing: the human, JSON, YAML and Markdown forms of results.

use std::fmt::Write as _;
use std::io::Write as _;

use gitops_core::ObjectRef;
use gitops_core::diff::{
    Change, ChangeSet, ChangeSetEntry, FieldChange, normalize, redact_secrets, unified_yaml_diff,
};
use gitops_core::health::Status;
use gitops_core::inventory::{Inventory, SyncResult};
use gitops_core::plan::{Phase, Plan, Skipped};
use gitops_core::sync::SyncReport;
use serde::Serialize;
use serde_json::Value;

use crate::args::Format;
use crate::exit::Failure;

/// Colours, when the output is a terminal and colour is wanted.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    pub fn red(self, text: &str) -> String {
        self.paint("31", text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn cyan(self, text: &str) -> String {
        self.paint("36", text)
    }

    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
}

/// Writes to standard output; a closed pipe (`gitops render | head`) is not an error.
pub fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::internal(e)),
        _ => Ok(()),
    }
}

/// Pretty JSON with a final newline.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(value).map_err(Failure::internal)?;
    text.push('\n');
    Ok(text)
}

/// YAML.
pub fn yaml<T: Serialize>(value: &T) -> Result<String, Failure> {
    gitops_core::yaml::to_string(value).map_err(Failure::internal)
}

/// A serialisable value in the machine format asked for; `None` for text.
pub fn machine<T: Serialize>(format: Option<Format>, value: &T) -> Result<Option<String>, Failure> {
    match format {
        Some(Format::Json) => json(value).map(Some),
        Some(Format::Yaml) => yaml(value).map(Some),
        _ => Ok(None),
    }
}

/// The JSON form of a plan.
#[derive(Serialize)]
pub struct PlanJson<'a> {
    stages: Vec<Vec<&'a ObjectRef>>,
    skipped: &'a [Skipped],
}

impl<'a> From<&'a Plan> for PlanJson<'a> {
    fn from(plan: &'a Plan) -> Self {
        Self {
            stages: plan
                .stages()
                .iter()
                .map(|s| s.objects.iter().map(|o| o.reference()).collect())
                .collect(),
            skipped: plan.skipped(),
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The text form of a plan: one block per stage.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    for (i, stage) in plan.stages().iter().enumerate() {
        let phase = match stage.position.phase {
            Phase::Sync => String::new(),
            phase => format!("{phase} hooks, "),
        };
        let _ = writeln!(
            out,
            "Stage {} ({phase}wave {}): {}",
            i + 1,
            stage.position.wave,
            plural(stage.objects.len(), "object")
        );
        for object in &stage.objects {
            let _ = writeln!(out, "  {}", object.reference());
        }
    }
    if !plan.skipped().is_empty() {
        let _ = writeln!(out, "Skipped:");
        for skipped in plan.skipped() {
            let _ = writeln!(out, "  {} ({})", skipped.object, skipped.reason);
        }
    }
    let _ = writeln!(
        out,
        "{} in {}",
        plural(plan.len(), "object"),
        plural(plan.stages().len(), "stage")
    );
    out
}

/// Sets or removes the field a JSON pointer names.
fn set_pointer(value: &mut Value, pointer: &str, new: Option<&Value>) {
    if pointer.is_empty() {
        *value = new.cloned().unwrap_or(Value::Null);
        return;
    }
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    if value.pointer(parent).is_none() {
        set_pointer(value, parent, Some(&Value::Object(serde_json::Map::new())));
    }
    match (value.pointer_mut(parent), new) {
        (Some(Value::Object(map)), Some(new)) => {
            map.insert(last, new.clone());
        }
        (Some(Value::Object(map)), None) => {
            map.remove(&last);
        }
        (Some(Value::Array(items)), Some(new)) => {
            if let Ok(i) = last.parse::<usize>()
                && let Some(slot) = items.get_mut(i)
            {
                *slot = new.clone();
            }
        }
        _ => {}
    }
}

fn yaml_text(value: &Value) -> String {
    gitops_core::yaml::to_string(value).unwrap_or_default()
}

/// The before and after of an entry, as YAML, secrets masked.
fn entry_texts(entry: &ChangeSetEntry) -> (String, String) {
    let live = entry.live.as_ref().map(|o| normalize(o.manifest()));
    let desired = entry.desired.as_ref().map(|o| normalize(o.manifest()));
    let (live, desired) = redact_secrets(live.as_ref(), desired.as_ref());
    match &entry.change {
        Change::Create => (
            String::new(),
            desired.as_ref().map(yaml_text).unwrap_or_default(),
        ),
        Change::Delete => (
            live.as_ref().map(yaml_text).unwrap_or_default(),
            String::new(),
        ),
        Change::Update { fields } => {
            let before = live.unwrap_or(Value::Null);
            let mut after = before.clone();
            for FieldChange {
                path, after: new, ..
            } in fields
            {
                set_pointer(&mut after, path, new.as_ref());
            }
            (yaml_text(&before), yaml_text(&after))
        }
        Change::Unchanged => (String::new(), String::new()),
    }
}

fn colored_diff(diff: &str, style: Style) -> String {
    let mut out = String::new();
    for line in diff.lines() {
        let painted = if line.starts_with("+++") || line.starts_with("---") {
            style.bold(line)
        } else if line.starts_with('+') {
            style.green(line)
        } else if line.starts_with('-') {
            style.red(line)
        } else if line.starts_with("@@") {
            style.cyan(line)
        } else {
            line.to_owned()
        };
        out.push_str(&painted);
        out.push('\n');
    }
    out
}

fn symbol(change: &Change, style: Style) -> String {
    match change {
        Change::Create => style.green("+ create"),
        Change::Update { .. } => style.yellow("~ update"),
        Change::Delete => style.red("- delete"),
        Change::Unchanged => "  unchanged".to_owned(),
    }
}

/// The change-set counts line.
pub fn counts_line(changes: &ChangeSet) -> String {
    let c = changes.counts();
    format!(
        "{} to create, {} to update, {} to delete, {} unchanged",
        c.create, c.update, c.delete, c.unchanged
    )
}

/// A change set for people: one line per changed object and its unified YAML diff.
pub fn changes_text(changes: &ChangeSet, style: Style, diffs: bool) -> String {
    let mut out = String::new();
    for entry in changes
        .entries
        .iter()
        .filter(|e| !matches!(e.change, Change::Unchanged))
    {
        let _ = writeln!(
            out,
            "{} {}",
            symbol(&entry.change, style),
            style.bold(&entry.object.to_string())
        );
        if diffs {
            let (before, after) = entry_texts(entry);
            let diff = unified_yaml_diff(&entry.object.to_string(), &before, &after);
            out.push_str(&colored_diff(&diff, style));
        }
    }
    let _ = writeln!(out, "{}", counts_line(changes));
    out
}

/// A compact pull-request comment.
pub fn changes_markdown(title: &str, changes: &ChangeSet, notes: &[String]) -> String {
    let c = changes.counts();
    let mut out = format!("### gitops diff: {title}\n\n");
    let _ = writeln!(
        out,
        "**{}** to create, **{}** to update, **{}** to delete, {} unchanged\n",
        c.create, c.update, c.delete, c.unchanged
    );
    let changed: Vec<&ChangeSetEntry> = changes
        .entries
        .iter()
        .filter(|e| !matches!(e.change, Change::Unchanged))
        .collect();
    if changed.is_empty() {
        out.push_str("No changes.\n");
        return out;
    }
    out.push_str("| change | object |\n|---|---|\n");
    for entry in &changed {
        let what = match entry.change {
            Change::Create => "➕ create",
            Change::Update { .. } => "✏️ update",
            Change::Delete => "🗑️ delete",
            Change::Unchanged => "",
        };
        let _ = writeln!(out, "| {what} | `{}` |", entry.object);
    }
    for note in notes {
        let _ = writeln!(out, "\n> {note}");
    }
    out.push('\n');
    for entry in changed {
        let (before, after) = entry_texts(entry);
        let diff = unified_yaml_diff(&entry.object.to_string(), &before, &after);
        let _ = write!(
            out,
            "<details><summary><code>{}</code></summary>\n\n```diff\n{diff}```\n\n</details>\n",
            entry.object
        );
    }
    out
}

/// A sync report for people.
pub fn report_text(report: &SyncReport, style: Style) -> String {
    let mut out = String::new();
    for result in &report.results {
        match &result.outcome {
            Ok(action) => {
                let _ = writeln!(out, "{} {action}", result.object);
            }
            Err(failure) => {
                let _ = writeln!(
                    out,
                    "{} {}: {}",
                    result.object,
                    style.red("failed"),
                    failure.message
                );
            }
        }
    }
    if let Some(held) = &report.prune.held {
        let _ = writeln!(
            out,
            "{}: {} of {} owned objects would be deleted; re-run with --approve-prune {} to delete them:",
            style.yellow("prune held"),
            held.objects.len(),
            held.inventory_size,
            held.hash
        );
        for object in &held.objects {
            let _ = writeln!(out, "  {object}");
        }
    }
    for kept in &report.prune.kept {
        if kept.reason != gitops_core::prune::KeepReason::Held {
            let _ = writeln!(out, "{} kept ({})", kept.object, kept.reason);
        }
    }
    for skipped in &report.skipped {
        let _ = writeln!(out, "{} skipped ({})", skipped.object, skipped.reason);
    }
    for (object, health) in &report.health {
        if health.status != Status::Current {
            let _ = writeln!(out, "{object} {}", style.yellow(&health.to_string()));
        }
    }
    let c = report.counts;
    let verdict = match report.result {
        SyncResult::Succeeded if report.dry_run => style.bold("dry run"),
        SyncResult::Succeeded => style.green("synced"),
        SyncResult::Failed => style.red("failed"),
    };
    let _ = writeln!(
        out,
        "{verdict} {} at {}: {} created, {} configured, {} unchanged, {} deleted, {} failed",
        report.name, report.revision, c.created, c.configured, c.unchanged, c.deleted, c.failed
    );
    if !report.message.is_empty() {
        let _ = writeln!(out, "{}", report.message);
    }
    out
}

/// When, for people: seconds since the epoch as UTC `YYYY-MM-DD HH:MM:SS`.
pub fn time(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Past syncs for people, newest first.
pub fn history_text(inventory: &Inventory) -> String {
    let mut out = String::from(
        "TIME                 REVISION                                         RESULT     CREATED CONFIGURED PRUNED  AUTHOR / MESSAGE\n",
    );
    for record in inventory.history.iter().rev() {
        let result = match record.result {
            SyncResult::Succeeded => "Succeeded",
            SyncResult::Failed => "Failed",
        };
        let commit = record
            .commit
            .as_ref()
            .map(|c| {
                format!(
                    "{}: {}",
                    c.author,
                    c.message.lines().next().unwrap_or_default()
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}  {:<48} {:<10} {:>7} {:>10} {:>6}  {commit}",
            time(record.time),
            record.revision,
            result,
            record.counts.created,
            record.counts.configured,
            record.counts.deleted
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(time(0), "1970-01-01 00:00:00");
        assert_eq!(time(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(time(951_782_400), "2000-02-29 00:00:00");
    }

    #[test]
    fn pointers() {
        let mut value = serde_json::json!({"a": {"b": 1}, "l": [1, 2]});
        set_pointer(&mut value, "/a/b", Some(&serde_json::json!(2)));
        set_pointer(&mut value, "/a/c~1d", Some(&serde_json::json!(3)));
        set_pointer(&mut value, "/l/1", Some(&serde_json::json!(5)));
        set_pointer(&mut value, "/x/y", Some(&serde_json::json!(true)));
        set_pointer(&mut value, "/a/b", None);
        assert_eq!(
            value,
            serde_json::json!({"a": {"c/d": 3}, "l": [1, 5], "x": {"y": true}})
        );
    }
}
