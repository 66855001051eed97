//! `kustomize build` with gitops-render: prints the objects of a kustomization directory in
//! kustomize's YAML style. Used by `benches/kustomize_compare.sh` for whole-process timing.
//!
//! usage: cargo run --release -p gitops-render --example kustomize_build -- DIR

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use gitops_core::Artifact;
use gitops_render::RenderOptions;
use gitops_render::kustomize::{KustomizeRenderer, yaml};

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: kustomize_build DIR");
        return ExitCode::from(2);
    };
    let renderer = KustomizeRenderer::new(RenderOptions::default().display_root(&dir));
    match renderer.render_blocking(&Artifact::local(&dir, "local")) {
        Ok(rendered) => {
            let text = yaml::to_string(&rendered.objects);
            let mut out = std::io::stdout().lock();
            if out.write_all(text.as_bytes()).is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
