//! `kubectl kustomize` (kustomize v5.5.0), the reference.

use std::path::Path;
use std::process::Command;

/// True when `kubectl` is on the PATH and answers.
pub fn available() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `kubectl kustomize DIR`; `Err` holds its error output.
pub fn kustomize(dir: &Path) -> Result<String, String> {
    run(Command::new("kubectl").arg("kustomize").arg(dir))
}

/// Why the Helm oracle (the real Helm v4 SDK in Python, `tests/helm/oracle.py`) cannot run,
/// if it cannot.
pub fn helm_oracle_missing() -> Option<String> {
    match Command::new("python3")
        .args(["-c", "import helm_python, yaml"])
        .output()
    {
        Err(e) => Some(format!("python3: {e}")),
        Ok(o) if !o.status.success() => {
            Some("python package helm-python-sdk (and pyyaml) is not installed".into())
        }
        Ok(_) => None,
    }
}

/// Runs `kubectl kustomize --enable-helm DIR` with `tests/helm/helm_shim.py` (real Helm v4
/// through its SDK) as the helm command.
pub fn kustomize_with_helm(dir: &Path) -> Result<String, String> {
    let shim = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helm/helm_shim.py");
    run(Command::new("kubectl")
        .args(["kustomize", "--enable-helm", "--helm-command"])
        .arg(shim)
        .arg(dir))
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
