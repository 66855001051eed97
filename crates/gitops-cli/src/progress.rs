//! Progress of a sync: a bar on a terminal once it takes longer than a second, plain lines
//! otherwise.

use std::time::Duration;

use gitops_core::sync::{Observer, SyncEvent};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Shows sync progress on standard error.
pub struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
}

impl Progress {
    /// A bar when standard error is a terminal, plain lines when not; nothing when quiet.
    pub fn new(quiet: bool) -> Self {
        let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
        if quiet {
            return Self {
                bar: None,
                plain: false,
            };
        }
        if !tty {
            return Self {
                bar: None,
                plain: true,
            };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{elapsed}] {bar:30} {pos}/{len} {msg}")
        {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        let shown = bar.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if !shown.is_finished() {
                shown.set_draw_target(ProgressDrawTarget::stderr());
            }
        });
        Self {
            bar: Some(bar),
            plain: false,
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn say(&self, message: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        } else if self.plain {
            eprintln!("{message}");
        }
    }
}

impl Observer for Progress {
    fn event(&self, event: SyncEvent<'_>) {
        match event {
            SyncEvent::Planned { stages, objects } => {
                if let Some(bar) = &self.bar {
                    bar.set_length(objects as u64);
                }
                self.say(format!("planned {objects} objects in {stages} stages"));
            }
            SyncEvent::Applying {
                stage,
                stages,
                objects,
            } => {
                if let Some(bar) = &self.bar {
                    bar.inc(objects.len() as u64);
                }
                self.say(format!(
                    "stage {stage}/{stages}: applying {} objects",
                    objects.len()
                ));
            }
            SyncEvent::Waiting { objects } => {
                self.say(format!("waiting for {objects} objects to be healthy"))
            }
            SyncEvent::Pruning { objects } => self.say(format!("pruning {objects} objects")),
        }
    }
}
