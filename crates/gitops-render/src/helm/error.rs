//! The Helm renderer's error type.

use std::path::PathBuf;

/// Why loading, fetching or rendering a chart failed. Every variant names the chart, file,
/// value or URL it is about; where Helm has a message for the case, `Display` prints Helm's.
///
/// ```
/// use gitops_render::helm::HelmError;
/// let e = HelmError::Chart { chart: "web".into(), message: "chart.metadata.version is required".into() };
/// assert_eq!(e.to_string(), "web: chart.metadata.version is required");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum HelmError {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The chart (or one of its subcharts) is malformed: bad `Chart.yaml`, missing fields,
    /// an unreadable subchart.
    #[error("{chart}: {message}")]
    Chart {
        /// The chart (its directory, archive or name).
        chart: String,
        /// What is wrong (Helm's message where it has one).
        message: String,
    },
    /// A chart archive is unsafe or malformed (path escapes, links, size limits, not gzip).
    #[error("{archive}: {message}")]
    Archive {
        /// The archive.
        archive: String,
        /// What is wrong.
        message: String,
    },
    /// A YAML file (values, `Chart.yaml`, `.helmignore`, a rendered manifest) does not parse.
    #[error("{file}: {message}")]
    Yaml {
        /// The file.
        file: String,
        /// The parser's message.
        message: String,
    },
    /// A `--set`-style expression does not parse (Helm's message).
    #[error("failed parsing {flag} data: {message}")]
    SetValue {
        /// The flag: `--set`, `--set-string`, `--set-file`, `--set-json`, `--set-literal`.
        flag: &'static str,
        /// What is wrong with the expression.
        message: String,
    },
    /// The values do not satisfy the chart's `values.schema.json` (Helm's message).
    #[error(
        "values don't meet the specifications of the schema(s) in the following chart(s):\n{message}"
    )]
    Schema {
        /// The charts and their violations, as Helm prints them.
        message: String,
    },
    /// A template does not parse or fails to execute (Helm's message, e.g.
    /// `execution error at (web/templates/cm.yaml:3:10): name is required`).
    #[error("{message}")]
    Template {
        /// The chart.
        chart: String,
        /// Helm's message.
        message: String,
    },
    /// The chart's `kubeVersion` constraint excludes the target Kubernetes version.
    #[error(
        "chart requires kubeVersion: {constraint} which is incompatible with Kubernetes {version}"
    )]
    KubeVersion {
        /// The chart's constraint.
        constraint: String,
        /// The target version.
        version: String,
    },
    /// A rendered document is not valid YAML or not a Kubernetes object.
    #[error("YAML parse error on {file}: {message}")]
    Manifest {
        /// The template file (`chart/templates/x.yaml`).
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A chart repository or registry request failed.
    #[error("{url}: {message}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong (status, network error, limit exceeded).
        message: String,
    },
    /// The repository or registry has no such chart or version.
    #[error("{message}")]
    NotFound {
        /// Which chart and version was asked for, and where.
        message: String,
    },
    /// A downloaded chart does not match its expected digest.
    #[error("{url}: digest mismatch: expected {expected}, got {actual}")]
    Digest {
        /// Where it came from.
        url: String,
        /// The digest the index or manifest promised.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// A chart reference or option is not usable (e.g. a malformed `oci://` reference).
    #[error("{0}")]
    Invalid(String),
}

impl HelmError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HelmError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn chart(chart: impl Into<String>, message: impl Into<String>) -> Self {
        HelmError::Chart {
            chart: chart.into(),
            message: message.into(),
        }
    }

    pub(crate) fn archive(archive: impl Into<String>, message: impl Into<String>) -> Self {
        HelmError::Archive {
            archive: archive.into(),
            message: message.into(),
        }
    }

    /// A failed request; credentials written into URLs (`https://user:token@…`) are cut
    /// from the URL and from the message.
    pub(crate) fn fetch(url: impl Into<String>, message: impl Into<String>) -> Self {
        HelmError::Fetch {
            url: without_userinfo(&url.into()),
            message: without_userinfo(&message.into()),
        }
    }
}

/// `text` with the user information of every URL in it removed.
pub(crate) fn without_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(['/', '?', '#', ' ', ')', '"', '\'', '\n'])
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(i) => out.push_str(&authority[i + 1..]),
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_errors_never_show_credentials() {
        let e = HelmError::fetch(
            "https://bob:s3cret@charts.example.com/index.yaml",
            "error sending request for url (https://bob:s3cret@charts.example.com/index.yaml)",
        );
        let text = e.to_string();
        assert!(!text.contains("s3cret") && !text.contains("bob"), "{text}");
        assert!(
            text.contains("https://charts.example.com/index.yaml"),
            "{text}"
        );
        assert_eq!(
            without_userinfo("oci://r.io/x and plain"),
            "oci://r.io/x and plain"
        );
    }
}
