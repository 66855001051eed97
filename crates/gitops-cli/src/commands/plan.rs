//! `gitops plan`: print the stages in which the objects would be applied.

use gitops_core::plan::{self, Options};

use crate::args::{PlanArgs, PlanFormat};
use crate::exit::Failure;
use crate::output;

pub async fn run(args: PlanArgs) -> Result<(), Failure> {
    let rendered = super::render_source(&args.source).await?;
    let options = Options::default()
        .argocd(!args.no_argocd)
        .helm_hooks(!args.no_helm_hooks);
    let plan = plan::plan(&rendered.objects, &options).map_err(Failure::bad_input)?;
    let text = match args.output {
        PlanFormat::Text => output::plan_text(&plan),
        PlanFormat::Json => output::json(&output::PlanJson::from(&plan))?,
    };
    output::print(&text)
}
