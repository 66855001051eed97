//! `gitops apply`: one reconcile.

use std::time::Duration;

use gitops_agent::{Notifier, Pipeline, events, failure_event};
use gitops_core::cluster::Cluster;
use gitops_core::plan;

use crate::args::{ApplyArgs, Global};
use crate::exit::Failure;
use crate::output;
use crate::progress::Progress;

pub async fn run(global: &Global, args: ApplyArgs) -> Result<u8, Failure> {
    let source = crate::source::build(&args.source).await?;
    let notifier = if args.dry_run {
        Notifier::none()
    } else {
        super::notifier(&args.flags)?
    };
    let target = crate::cluster::connect(global, super::backend_options(&args.flags)).await?;
    let mut pipeline = super::pipeline(global, &args.source, &args.flags, source, &target);
    pipeline.options.dry_run = args.dry_run;
    let result = reconcile(global, &pipeline, &notifier, args.dry_run).await;
    target.close().await;
    notifier.flush(Duration::from_secs(10)).await;
    result
}

async fn reconcile(
    global: &Global,
    pipeline: &Pipeline<gitops_apply::KubeCluster>,
    notifier: &Notifier,
    dry_run: bool,
) -> Result<u8, Failure> {
    let name = &pipeline.options.name;
    let artifact = pipeline.fetch().await.map_err(super::classified)?;
    let rendered = match pipeline.render(&artifact).await {
        Ok(rendered) => rendered,
        Err(e) => {
            notifier.notify(failure_event(name, &artifact.revision, &e));
            return Err(Failure::bad_input(e));
        }
    };
    if dry_run {
        let prepared = pipeline
            .cluster
            .prepare(rendered.objects.clone())
            .await
            .map_err(super::classified)?;
        let plan = plan::plan(&prepared, &pipeline.options.plan).map_err(Failure::bad_input)?;
        if global.output.is_none() {
            output::print(&output::plan_text(&plan))?;
        }
    }
    let progress = Progress::new(global.quiet);
    let result = pipeline.sync(&artifact, rendered, &progress).await;
    progress.finish();
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            notifier.notify(failure_event(name, &artifact.revision, &e));
            return Err(super::classified(e));
        }
    };
    for event in events(&report, &artifact) {
        notifier.notify(event);
    }
    let text = match output::machine(global.output, &report)? {
        Some(text) => text,
        None if dry_run => output::changes_text(&report.changes, super::style(global), true),
        None => output::report_text(&report, super::style(global)),
    };
    output::print(&text)?;
    Ok(super::sync_status(&report))
}
