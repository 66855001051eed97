//! Speed against Helm v4 on the corpus charts (run by hand, never asserts timings):
//!
//! ```text
//! CARGO_TARGET_DIR=… cargo test --release -p gitops-render --test helm_bench -- --ignored --nocapture
//! ```
//!
//! In process, per chart: Helm's medians come from `tests/helm/oracle.py --bench` (the
//! Helm Go SDK through helm-python-sdk: `Chart.render`, a client dry-run install of a
//! loaded chart = the whole `helm template` pipeline, and load + install); ours are
//! `Chart::load` + `render` + `to_helm_output` (cold: the templates are parsed again),
//! `render` + `to_helm_output` of a loaded chart (its parsed templates reused), and
//! `render_objects`. Whole process: `python3 shared/corpus/tools/helm_render.py` (the
//! corpus oracle, which prints what `helm template` prints) against this test binary
//! re-run to load, render and print one chart; the Python start-up and SDK import alone
//! are measured too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use gitops_render::helm::{Chart, RenderSettings};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

struct Case {
    name: String,
    chart: PathBuf,
    release: String,
    namespace: String,
    skip_tests: bool,
}

/// The corpus' Helm cases rendered with their chart's default values (the oracle's bench
/// mode takes none).
fn cases() -> Vec<Case> {
    common::corpus::helm_cases(&corpus())
        .into_iter()
        .filter(|c| c.settings.values.value_files.is_empty() && c.settings.values.values.is_empty())
        .map(|c| Case {
            chart: c.dir.join(&c.entry),
            release: c.settings.release_name,
            namespace: c.settings.namespace,
            skip_tests: c.settings.skip_tests,
            name: c.name,
        })
        .collect()
}

fn settings(c: &Case) -> RenderSettings {
    RenderSettings {
        release_name: c.release.clone(),
        namespace: c.namespace.clone(),
        skip_tests: c.skip_tests,
        ..RenderSettings::default()
    }
}

/// Median of `n` runs of `f`, in milliseconds (after one warm-up run).
fn median_ms(n: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..n)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[n / 2]
}

fn run_quiet(cmd: &mut Command) {
    let st = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "{cmd:?} failed");
}

/// The child side of the whole-process measurement: load, render and print one chart.
#[test]
#[ignore = "run by helm_speed_against_helm"]
fn helm_bench_render_once() {
    let Some(chart) = std::env::var_os("HELM_BENCH_CHART") else {
        return;
    };
    let c = Case {
        name: String::new(),
        chart: PathBuf::from(chart),
        release: std::env::var("HELM_BENCH_RELEASE").unwrap(),
        namespace: std::env::var("HELM_BENCH_NAMESPACE").unwrap(),
        skip_tests: std::env::var_os("HELM_BENCH_SKIP_TESTS").is_some(),
    };
    // HELM_BENCH_REPEAT=N loads and renders N times (for a profiler), printing the last;
    // with HELM_BENCH_WARM set, the chart is loaded once.
    let repeat: usize = std::env::var("HELM_BENCH_REPEAT").map_or(1, |n| n.parse().unwrap());
    let warm = std::env::var_os("HELM_BENCH_WARM").is_some();
    let mut chart = Chart::load(&c.chart).unwrap();
    let mut out = String::new();
    for _ in 0..repeat.max(1) {
        if !warm {
            chart = Chart::load(&c.chart).unwrap();
        }
        out = chart.render(&settings(&c)).unwrap().to_helm_output();
    }
    use std::io::Write;
    std::io::stdout().write_all(out.as_bytes()).unwrap();
}

#[test]
#[ignore = "a benchmark: run by hand with --release --ignored --nocapture"]
fn helm_speed_against_helm() {
    let cases = cases();
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helm/oracle.py");
    let render_py = corpus().join("tools/helm_render.py");
    let (n_ours, n_helm, n_proc) = (200, 50, 20);
    let exe = std::env::current_exe().unwrap();
    let py_start = median_ms(n_proc, || {
        run_quiet(Command::new("python3").args(["-c", "import helm_python, yaml"]))
    });
    println!(
        "python3 start-up + `import helm_python, yaml`: {py_start:.1} ms (median of {n_proc})"
    );
    println!(
        "\n| chart | Helm render | ours render (warm) | Helm install (loaded chart) | ours render + output (warm) | ratio | Helm load + install | ours load + render + output | ratio | ours render_objects (warm) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut procs = Vec::new();
    for c in &cases {
        let s = settings(c);
        let chart = Chart::load(&c.chart).unwrap();
        let warm = median_ms(n_ours, || {
            std::hint::black_box(chart.render(&s).unwrap().to_helm_output());
        });
        let render_only = median_ms(n_ours, || {
            std::hint::black_box(chart.render(&s).unwrap());
        });
        let objects = median_ms(n_ours, || {
            std::hint::black_box(chart.render_objects(&s).unwrap());
        });
        let cold = median_ms(n_ours, || {
            let ch = Chart::load(&c.chart).unwrap();
            std::hint::black_box(ch.render(&s).unwrap().to_helm_output());
        });
        let helm = Command::new("python3")
            .arg(&oracle)
            .arg("--bench")
            .arg(&c.chart)
            .args(["--name", &c.release, "--namespace", &c.namespace])
            .args(["--iterations", &n_helm.to_string()])
            .output()
            .unwrap();
        assert!(
            helm.status.success(),
            "{}",
            String::from_utf8_lossy(&helm.stderr)
        );
        let h: serde_json::Value = serde_json::from_slice(&helm.stdout).unwrap();
        let (h_render, h_install, h_load) = (
            h["render"].as_f64().unwrap(),
            h["install"].as_f64().unwrap(),
            h["load_install"].as_f64().unwrap(),
        );
        println!(
            "| {} | {h_render:.2} | {render_only:.2} | {h_install:.2} | {warm:.2} | {:.1}× | {h_load:.2} | {cold:.2} | {:.1}× | {objects:.2} |",
            c.name,
            h_install / warm,
            h_load / cold
        );

        // whole process
        let mut ours = Command::new(&exe);
        ours.args([
            "--exact",
            "helm_bench_render_once",
            "--ignored",
            "--nocapture",
        ])
        .env("HELM_BENCH_CHART", &c.chart)
        .env("HELM_BENCH_RELEASE", &c.release)
        .env("HELM_BENCH_NAMESPACE", &c.namespace);
        let mut py = Command::new("python3");
        py.arg(&render_py)
            .arg(&c.chart)
            .args(["--name", &c.release, "--namespace", &c.namespace]);
        if c.skip_tests {
            ours.env("HELM_BENCH_SKIP_TESTS", "1");
            py.arg("--skip-tests");
        }
        let p_ours = median_ms(n_proc, || run_quiet(&mut ours));
        let p_helm = median_ms(n_proc, || run_quiet(&mut py));
        procs.push((c.name.clone(), p_helm, p_ours));
    }
    println!("\n| chart | Helm whole process (helm_render.py) | ours whole process | ratio |");
    println!("|---|---|---|---|");
    for (name, h, o) in procs {
        println!("| {name} | {h:.1} | {o:.1} | {:.0}× |", h / o);
    }
}
