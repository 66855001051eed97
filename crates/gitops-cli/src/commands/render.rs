//! `gitops render`: print the rendered objects.

use crate::args::{RenderArgs, RenderFormat};
use crate::exit::Failure;
use crate::output;

pub async fn run(args: RenderArgs) -> Result<(), Failure> {
    let rendered = super::render_source(&args.source).await?;
    let text = match args.output {
        RenderFormat::Yaml => {
            gitops_core::yaml::to_string_multi(&rendered.objects).map_err(Failure::internal)?
        }
        RenderFormat::Json => output::json(&rendered.objects)?,
    };
    output::print(&text)
}
