//! Printing: the human and machine forms of results.

use std::fmt::Write as _;
use std::io::Write as _;

use gitops_core::ObjectRef;
use gitops_core::plan::{Phase, Plan, Skipped};
use serde::Serialize;

use crate::exit::Failure;

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

/// The text form of a plan: one block per stage.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    for (i, stage) in plan.stages().iter().enumerate() {
        let count = stage.objects.len();
        let phase = match stage.position.phase {
            Phase::Sync => String::new(),
            phase => format!("{phase} hooks, "),
        };
        let _ = writeln!(
            out,
            "Stage {} ({phase}wave {}): {count} object{}",
            i + 1,
            stage.position.wave,
            if count == 1 { "" } else { "s" }
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
    let stages = plan.stages().len();
    let _ = writeln!(
        out,
        "{} object{} in {stages} stage{}",
        plan.len(),
        if plan.len() == 1 { "" } else { "s" },
        if stages == 1 { "" } else { "s" }
    );
    out
}
