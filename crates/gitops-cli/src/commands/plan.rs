//! `gitops plan`: print the stages in which the objects would be applied.

use gitops_core::plan::{self, Options};

use crate::args::{Format, Global, PlanArgs};
use crate::exit::{self, Failure};
use crate::output;

pub async fn run(global: &Global, args: PlanArgs) -> Result<u8, Failure> {
    let (_, rendered) = super::fetch_and_render(global, &args.source, None, None).await?;
    let options = Options::default()
        .argocd(!args.no_argocd)
        .helm_hooks(!args.no_helm_hooks);
    let plan = plan::plan(&rendered.objects, &options).map_err(Failure::bad_input)?;
    let json = output::PlanJson::from(&plan);
    let text = match global.output {
        Some(Format::Json) => output::json(&json)?,
        Some(Format::Yaml) => output::yaml(&json)?,
        _ => output::plan_text(&plan),
    };
    output::print(&text)?;
    Ok(exit::OK)
}
