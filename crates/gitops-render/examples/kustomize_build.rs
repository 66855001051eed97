//! `kustomize build` with gitops-render: prints the objects of a kustomization directory in
//! kustomize's YAML style. Used by `benches/kustomize_compare.sh` for whole-process timing.
//!
//! usage: cargo run --release -p gitops-render --example kustomize_build -- DIR [ROOT]
//!
//! Nothing outside ROOT is read; it defaults to the current directory when DIR is a relative
//! path, else to `/`. `KUSTOMIZE_BUILD_REPEAT=N` renders N times (for profiling);
//! `KUSTOMIZE_LOAD_RESTRICTOR=none` is kustomize's `--load-restrictor LoadRestrictionsNone`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use gitops_core::Artifact;
use gitops_render::RenderOptions;
use gitops_render::kustomize::{KustomizeOptions, KustomizeRenderer, LoadRestrictor, yaml};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let Some(dir) = args.next() else {
        eprintln!("usage: kustomize_build DIR [ROOT]");
        return ExitCode::from(2);
    };
    let root = args.next().unwrap_or_else(|| {
        if dir.is_relative() {
            PathBuf::from(".")
        } else {
            PathBuf::from("/")
        }
    });
    let Ok(path) = std::path::absolute(&dir).and_then(|d| {
        let root = std::path::absolute(&root)?;
        d.strip_prefix(&root)
            .map(PathBuf::from)
            .map_err(|_| std::io::Error::other("DIR is not inside ROOT"))
    }) else {
        eprintln!("error: {} is not inside {}", dir.display(), root.display());
        return ExitCode::from(2);
    };
    let mut options = KustomizeOptions::default();
    if std::env::var("KUSTOMIZE_LOAD_RESTRICTOR").is_ok_and(|v| v.eq_ignore_ascii_case("none")) {
        options.load_restrictor = LoadRestrictor::None;
    }
    let renderer = KustomizeRenderer::new(RenderOptions::default()).with_kustomize_options(options);
    let artifact = Artifact {
        path,
        ..Artifact::local(&root, "local")
    };
    let repeat: usize = std::env::var("KUSTOMIZE_BUILD_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    for _ in 1..repeat {
        if renderer.render_blocking(&artifact).is_err() {
            break;
        }
    }
    match renderer.render_blocking(&artifact) {
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
