//! Validation, redaction and normalisation of repository URLs.
//!
//! A URL is checked before anything runs: Git's command-running transports (`ext::`, `fd::`,
//! remote helpers `<helper>::<address>`) and option-looking strings (`-…`, `--upload-pack=…`)
//! are refused, and so are hosts, users and paths that `ssh` or `git` would read as options.
//! Credentials embedded in the URL are taken out of it (they become [`GitAuth`]) so that the URL
//! can be printed and logged as it is.

use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Error, GitAuth};

/// A repository URL that passed validation, with any embedded credentials taken out.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RepoUrl {
    /// The URL gix connects to, without password.
    pub(crate) url: gix::Url,
    /// The URL as shown in messages and logs: no password, ever.
    pub(crate) display: String,
    /// The normalised form that keys the cache directory.
    pub(crate) key: String,
}

impl std::fmt::Debug for RepoUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display)
    }
}

/// Validates `input` and splits off the credentials it may carry (`https://user:pass@host/…`).
pub(crate) fn parse(input: &str) -> Result<(RepoUrl, Option<GitAuth>), Error> {
    let refuse = |reason: &str| Error::UnsafeUrl {
        url: redact_str(input),
        reason: reason.to_owned(),
    };
    if input.trim().is_empty() {
        return Err(Error::InvalidUrl {
            url: String::new(),
            reason: "the URL is empty".into(),
        });
    }
    if input.starts_with('-') {
        return Err(refuse("it looks like a command-line option"));
    }
    if input.chars().any(|c| c.is_control()) {
        return Err(refuse("it contains control characters"));
    }
    // `<transport>::<address>` runs a remote helper (`ext::sh -c …` runs any command).
    if let Some((scheme, _)) = input.split_once("::")
        && !scheme.contains('/')
    {
        return Err(refuse(
            "remote-helper URLs (`<transport>::<address>`, e.g. `ext::`) run local commands",
        ));
    }
    let lower = input.to_ascii_lowercase();
    if lower.starts_with("ext:") || lower.starts_with("fd:") {
        return Err(refuse("the `ext` and `fd` transports run local commands"));
    }

    let mut url = if looks_like_local_path(input) {
        let path = absolute(Path::new(input)).map_err(|e| Error::InvalidUrl {
            url: input.to_owned(),
            reason: format!("cannot make the path absolute: {e}"),
        })?;
        gix::Url::from_parts(
            gix::url::Scheme::File,
            None,
            None,
            None,
            None,
            path.as_os_str().as_encoded_bytes().into(),
            false,
        )
        .map_err(|e| Error::InvalidUrl {
            url: input.to_owned(),
            reason: e.to_string(),
        })?
    } else {
        gix::url::parse(input).map_err(|e| Error::InvalidUrl {
            url: redact_str(input),
            reason: e.to_string(),
        })?
    };

    use gix::url::Scheme;
    match &url.scheme {
        Scheme::File | Scheme::Git | Scheme::Ssh | Scheme::Http | Scheme::Https => {}
        Scheme::Ext => return Err(refuse("the `ext` transport runs local commands")),
        _ => return Err(refuse("remote-helper transports are not supported")),
    }
    if url.host().is_some() && url.host_argument_safe().is_none() {
        return Err(refuse("the host looks like a command-line option"));
    }
    if url.user().is_some() && url.user_argument_safe().is_none() {
        return Err(refuse("the user name looks like a command-line option"));
    }
    let path = url.path.strip_prefix(b"/").unwrap_or(&url.path);
    if path.first() == Some(&b'-') {
        return Err(refuse("the path looks like a command-line option"));
    }
    if url.scheme == Scheme::File && (url.host().is_some() || url.user().is_some()) {
        return Err(Error::InvalidUrl {
            url: redact_str(input),
            reason: "file:// URLs name a local path and take no host or user".into(),
        });
    }

    let auth = match (&url.scheme, url.password()) {
        (Scheme::Http | Scheme::Https, Some(password)) => Some(GitAuth::Basic {
            username: url.user().unwrap_or_default().to_owned(),
            password: password.to_owned(),
        }),
        _ => None,
    };
    url.set_password(None);
    if auth.is_some() {
        url.set_user(None);
    }
    let display = url.to_bstring().to_string();
    let key = normalise(&url);
    Ok((RepoUrl { url, display, key }, auth))
}

/// `input` with any `user:password@` userinfo reduced to `user@`, for messages about URLs that
/// could not be parsed.
pub(crate) fn redact_str(input: &str) -> String {
    let Some(scheme_end) = input.find("://") else {
        return input.to_owned();
    };
    let rest = &input[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}@{}", &input[..scheme_end + 3], user, &rest[at + 1..])
        }
        None => input.to_owned(),
    }
}

fn looks_like_local_path(input: &str) -> bool {
    if input.contains("://") {
        return false;
    }
    if input.starts_with('/') || input.starts_with("./") || input.starts_with("../") {
        return true;
    }
    // `host:path` is scp-like ssh unless a `/` comes before the first `:`.
    match (input.find(':'), input.find('/')) {
        (Some(colon), Some(slash)) => slash < colon,
        (Some(_), None) => false,
        (None, _) => true,
    }
}

fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    let path = std::path::absolute(path)?;
    // Canonical when it exists, so that two spellings of one directory share a cache entry.
    Ok(path.canonicalize().unwrap_or(path))
}

/// The cache key: scheme, lower-cased host, port, user and path without a trailing `/` or `.git`.
fn normalise(url: &gix::Url) -> String {
    let mut path = url.path.to_string();
    while path.ends_with('/') && path.len() > 1 {
        path.pop();
    }
    if let Some(stripped) = path.strip_suffix(".git") {
        path = stripped.to_owned();
    }
    format!(
        "{}://{}@{}:{}{}",
        url.scheme.as_str(),
        url.user().unwrap_or_default(),
        url.host().unwrap_or_default().to_ascii_lowercase(),
        url.port_or_default().unwrap_or_default(),
        path
    )
}

/// The name of the cache directory of `key`: the repository's last path segment (readable) and a
/// hash of the whole key (unique).
pub(crate) fn cache_dir_name(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    let name: String = key
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(40)
        .collect();
    let name = name.trim_start_matches('.');
    if name.is_empty() {
        hex
    } else {
        format!("{name}-{hex}")
    }
}

/// Checks a sub-path inside the repository: relative, and never leaving it.
pub(crate) fn check_sub_path(path: &Path) -> Result<PathBuf, Error> {
    let invalid = |reason: &str| Error::UnsafePath {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => clean.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(invalid("`..` would leave the repository"));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(invalid(
                    "absolute paths are not allowed; give a path relative to the repository root",
                ));
            }
        }
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_command_running_and_option_like_urls() {
        for url in [
            "ext::sh -c touch% /tmp/pwned",
            "EXT::sh",
            "fd::3",
            "--upload-pack=touch /tmp/pwned",
            "-oProxyCommand=evil",
            "ssh://-oProxyCommand=evil/repo",
            "https://host/repo\nmore",
        ] {
            assert!(
                matches!(parse(url), Err(Error::UnsafeUrl { .. })),
                "{url} should be refused: {:?}",
                parse(url)
            );
        }
    }

    #[test]
    fn takes_credentials_out_of_the_url() {
        let (url, auth) = parse("https://bob:s3cret@example.com/org/repo.git").unwrap();
        assert_eq!(url.display, "https://example.com/org/repo.git");
        assert!(!format!("{url:?}").contains("s3cret"));
        match auth {
            Some(GitAuth::Basic { username, password }) => {
                assert_eq!(username, "bob");
                assert_eq!(password, "s3cret");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn redacts_unparsable_urls() {
        assert_eq!(
            redact_str("https://bob:s3cret@host/x"),
            "https://bob@host/x"
        );
        assert_eq!(redact_str("/a/b"), "/a/b");
    }

    #[test]
    fn accepts_the_usual_forms() {
        for url in [
            "https://example.com/org/repo",
            "http://127.0.0.1:8080/repo.git",
            "git://127.0.0.1/repo",
            "ssh://git@example.com:2222/org/repo.git",
            "git@github.com:org/repo.git",
            "file:///srv/git/repo",
            "/srv/git/repo",
        ] {
            parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        let (url, _) = parse("git@github.com:org/repo.git").unwrap();
        assert_eq!(url.url.scheme, gix::url::Scheme::Ssh);
    }

    #[test]
    fn spellings_of_one_repository_share_a_key() {
        let a = parse("https://Example.com/org/repo.git").unwrap().0.key;
        let b = parse("https://example.com/org/repo/").unwrap().0.key;
        let c = parse("https://user:pw@example.com/org/repo").unwrap().0.key;
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_ne!(a, parse("https://example.com/org/other").unwrap().0.key);
        assert!(cache_dir_name(&a).starts_with("repo-"));
    }

    #[test]
    fn sub_paths_stay_inside() {
        assert_eq!(
            check_sub_path(Path::new("./apps/web/")).unwrap(),
            Path::new("apps/web")
        );
        assert!(check_sub_path(Path::new("apps/../../etc")).is_err());
        assert!(check_sub_path(Path::new("/etc")).is_err());
        assert_eq!(check_sub_path(Path::new("")).unwrap(), Path::new(""));
    }
}
