//! `gitops render`: print the rendered objects.

use crate::args::{Format, Global, RenderArgs};
use crate::exit::{self, Failure};
use crate::output;

pub async fn run(global: &Global, args: RenderArgs) -> Result<u8, Failure> {
    let (_, rendered) = super::fetch_and_render(global, &args.source, None, None).await?;
    let text = match global.output {
        Some(Format::Json) => output::json(&rendered.objects)?,
        _ => gitops_core::yaml::to_string_multi(&rendered.objects).map_err(Failure::internal)?,
    };
    output::print(&text)?;
    Ok(exit::OK)
}
