//! `gitops sync`: the agent loop.

use std::time::Duration;

use gitops_agent::{LoopOptions, Outcome};
use tokio::sync::watch;

use crate::args::{Format, Global, SyncArgs};
use crate::exit::{self, Failure};
use crate::output;

pub async fn run(global: &Global, args: SyncArgs) -> Result<u8, Failure> {
    let source = crate::source::build(&args.source).await?;
    let notifier = super::notifier(&args.flags)?;
    let target = crate::cluster::connect(global, super::backend_options(&args.flags)).await?;
    let pipeline = super::pipeline(global, &args.source, &args.flags, source, &target);
    let loop_options = LoopOptions {
        interval: args.interval,
        self_heal: !args.no_self_heal,
        manual: args.manual,
        once: args.once,
        ..LoopOptions::default()
    };
    let (stop, shutdown) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        let _ = stop.send(true);
    });
    let style = super::style(global);
    let format = global.output;
    let quiet = global.quiet;
    let outcome = gitops_agent::run(&pipeline, &loop_options, &notifier, shutdown, |outcome| {
        let text = match format {
            Some(Format::Json) => serde_json::to_string(&outcome_json(outcome))
                .map(|t| t + "\n")
                .unwrap_or_default(),
            _ => outcome_text(&pipeline.options.name, outcome, style),
        };
        if !quiet || outcome.failed() {
            let _ = output::print(&text);
        }
    })
    .await;
    target.close().await;
    notifier.flush(Duration::from_secs(10)).await;
    if !args.once {
        return Ok(exit::OK);
    }
    Ok(match &outcome {
        Outcome::Synced(report) => super::sync_status(report),
        Outcome::Failed {
            bad_input: true, ..
        } => exit::BAD_INPUT,
        Outcome::Failed { cluster: true, .. } => exit::CLUSTER,
        Outcome::Failed { .. } => exit::FAILED,
        Outcome::Reported { .. } | Outcome::Suspended => exit::OK,
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn outcome_text(name: &str, outcome: &Outcome, style: output::Style) -> String {
    let now = output::time(gitops_agent::now());
    match outcome {
        Outcome::Synced(report) => {
            let mut text = String::new();
            if report.changed() || report.result == gitops_core::inventory::SyncResult::Failed {
                text.push_str(&output::report_text(report, style));
            } else {
                text.push_str(&format!(
                    "{now} {name}: up to date at {}\n",
                    report.revision
                ));
            }
            text
        }
        Outcome::Reported {
            revision,
            new_revision,
            drift,
        } => {
            let mut text = String::new();
            if *new_revision {
                text.push_str(&format!(
                    "{now} {name}: new revision {revision} waits for `gitops apply` (manual)\n"
                ));
            }
            for entry in &drift.changed {
                text.push_str(&format!(
                    "{now} {name}: drift: {} differs from Git\n",
                    entry.object
                ));
            }
            for object in &drift.deleted {
                text.push_str(&format!("{now} {name}: drift: {object} was deleted\n"));
            }
            if !*new_revision && drift.is_empty() {
                text.push_str(&format!("{now} {name}: no drift at {revision}\n"));
            }
            text
        }
        Outcome::Suspended => format!("{now} {name}: suspended (gitops resume --name {name})\n"),
        Outcome::Failed { message, .. } => {
            format!("{now} {name}: {}: {message}\n", style.red("failed"))
        }
    }
}

fn outcome_json(outcome: &Outcome) -> serde_json::Value {
    match outcome {
        Outcome::Synced(report) => serde_json::json!({"outcome": "synced", "report": report}),
        Outcome::Reported {
            revision,
            new_revision,
            drift,
        } => serde_json::json!({
            "outcome": "reported", "revision": revision, "newRevision": new_revision, "drift": drift
        }),
        Outcome::Suspended => serde_json::json!({"outcome": "suspended"}),
        Outcome::Failed {
            message,
            bad_input,
            cluster,
        } => serde_json::json!({
            "outcome": "failed", "message": message, "badInput": bad_input, "cluster": cluster
        }),
    }
}
