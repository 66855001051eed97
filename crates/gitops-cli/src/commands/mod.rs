//! One module per command; each composes library calls and prints.

mod plan;
mod render;

use gitops_core::{Artifact, Rendered, Renderer};
use gitops_render::{PlainRenderer, RenderOptions};

use crate::args::{Cli, Command, SourceArgs};
use crate::exit::{self, Failure};

/// Runs the command; returns the exit status on success.
pub async fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Render(args) => render::run(args).await,
        Command::Plan(args) => plan::run(args).await,
    }?;
    Ok(exit::OK)
}

/// Fetches and renders the desired state the source arguments name.
pub async fn render_source(source: &SourceArgs) -> Result<Rendered, Failure> {
    let artifact = Artifact::local(&source.path, "local");
    let renderer = PlainRenderer::new(RenderOptions::default().display_root(&source.path));
    renderer.render(&artifact).await.map_err(Failure::bad_input)
}
