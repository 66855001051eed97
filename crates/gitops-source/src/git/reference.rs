//! What to follow in a repository: a branch, a tag, a semver range over tags or a commit.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Error;

/// The reference a [`GitSource`](super::GitSource) follows.
///
/// Build one with the constructors (one per CLI flag), parse one from `kind:value`
/// (`branch:main`, `tag:v1.2.0`, `semver:>=1.2.0 <2.0.0`, `commit:1a2b3c4`,
/// `commit:1a2b3c4@main`), or from separate optional fields with [`GitRef::from_parts`] (Flux's
/// precedence: commit, then semver, then tag, then branch).
///
/// ```
/// use gitops_source::git::GitRef;
///
/// assert_eq!(GitRef::branch("main"), "branch:main".parse()?);
/// assert_eq!(GitRef::tag("v1.2.0").to_string(), "tag:v1.2.0");
/// let range = GitRef::semver(">=1.2.0, <2.0.0")?;
/// assert_eq!(range, "semver:>=1.2.0, <2.0.0".parse()?);
/// let pinned = GitRef::commit("1a2b3c4")?.on_branch("main")?;
/// assert_eq!(pinned.to_string(), "commit:1a2b3c4@main");
/// assert!(GitRef::commit("not-hex").is_err());
/// # Ok::<(), gitops_source::git::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum GitRef {
    /// The branch the remote's `HEAD` points to.
    #[default]
    DefaultBranch,
    /// The tip of a branch (`main`, not `refs/heads/main`).
    Branch(String),
    /// A tag, lightweight or annotated (`v1.2.0`, not `refs/tags/v1.2.0`).
    Tag(String),
    /// The tag with the highest version matching a range; `v1.2.3` and `1.2.3` both count.
    Semver(SemverRange),
    /// An exact commit, by full or abbreviated (at least 4 hex digits) id, optionally on a branch
    /// (which names it in the revision and is searched when the id is abbreviated).
    Commit {
        /// The commit id in lower-case hex, 4 to 40 digits.
        id: String,
        /// The branch the commit is on, if known.
        branch: Option<String>,
    },
}

/// A parsed semver range that remembers how it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemverRange {
    text: String,
    req: semver::VersionReq,
}

impl SemverRange {
    /// The range as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `version` is in the range.
    pub fn matches(&self, version: &semver::Version) -> bool {
        self.req.matches(version)
    }
}

impl GitRef {
    /// A branch, by short name.
    pub fn branch(name: impl Into<String>) -> Self {
        Self::Branch(strip(name.into(), "refs/heads/"))
    }

    /// A tag, by short name.
    pub fn tag(name: impl Into<String>) -> Self {
        Self::Tag(strip(name.into(), "refs/tags/"))
    }

    /// A semver range such as `>=1.2.0, <2.0.0` or `^1.4`; spaces between comparators are
    /// accepted as well as commas (`>=1.2.0 <2.0.0`).
    pub fn semver(range: impl Into<String>) -> Result<Self, Error> {
        let text: String = range.into();
        let req = parse_range(&text).map_err(|reason| Error::InvalidReference {
            reference: format!("semver:{text}"),
            reason,
        })?;
        Ok(Self::Semver(SemverRange { text, req }))
    }

    /// A commit by full or abbreviated id.
    pub fn commit(id: impl Into<String>) -> Result<Self, Error> {
        let id: String = id.into();
        let ok = (4..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            return Err(Error::InvalidReference {
                reference: format!("commit:{id}"),
                reason: "a commit id is 4 to 40 hexadecimal digits".into(),
            });
        }
        Ok(Self::Commit {
            id: id.to_ascii_lowercase(),
            branch: None,
        })
    }

    /// Puts a commit on a branch; an error for other kinds of reference.
    pub fn on_branch(self, name: impl Into<String>) -> Result<Self, Error> {
        match self {
            Self::Commit { id, .. } => Ok(Self::Commit {
                id,
                branch: Some(strip(name.into(), "refs/heads/")),
            }),
            other => Err(Error::InvalidReference {
                reference: other.to_string(),
                reason: "only a commit can be combined with a branch".into(),
            }),
        }
    }

    /// From optional fields as CLI flags or a CRD give them, with Flux's precedence: commit
    /// (together with the branch, if any), semver, tag, branch, and the default branch when all
    /// are absent.
    ///
    /// ```
    /// use gitops_source::git::GitRef;
    ///
    /// let r = GitRef::from_parts(Some("main"), None, None, None)?;
    /// assert_eq!(r, GitRef::branch("main"));
    /// let r = GitRef::from_parts(Some("main"), None, None, Some("abcdef12"))?;
    /// assert_eq!(r.to_string(), "commit:abcdef12@main");
    /// assert_eq!(GitRef::from_parts(None, None, None, None)?, GitRef::DefaultBranch);
    /// # Ok::<(), gitops_source::git::Error>(())
    /// ```
    pub fn from_parts(
        branch: Option<&str>,
        tag: Option<&str>,
        semver: Option<&str>,
        commit: Option<&str>,
    ) -> Result<Self, Error> {
        fn nonempty(v: Option<&str>) -> Option<&str> {
            v.filter(|s| !s.trim().is_empty())
        }
        if let Some(commit) = nonempty(commit) {
            let r = Self::commit(commit)?;
            return match nonempty(branch) {
                Some(branch) => r.on_branch(branch),
                None => Ok(r),
            };
        }
        if let Some(range) = nonempty(semver) {
            return Self::semver(range);
        }
        if let Some(tag) = nonempty(tag) {
            return Ok(Self::tag(tag));
        }
        Ok(nonempty(branch).map_or(Self::DefaultBranch, Self::branch))
    }
}

fn strip(name: String, prefix: &str) -> String {
    match name.strip_prefix(prefix) {
        Some(rest) => rest.to_owned(),
        None => name,
    }
}

fn parse_range(text: &str) -> Result<semver::VersionReq, String> {
    match semver::VersionReq::parse(text) {
        Ok(req) => Ok(req),
        Err(first) => {
            // `>=1.2.0 <2.0.0` (space separated, as Flux and npm write it).
            let joined = text.split_whitespace().collect::<Vec<_>>();
            let mut comparators = Vec::new();
            let mut pending = String::new();
            for part in joined {
                pending.push_str(part);
                if pending.chars().any(|c| c.is_ascii_digit() || c == '*') {
                    comparators.push(std::mem::take(&mut pending));
                }
            }
            if !pending.is_empty() || comparators.len() < 2 {
                return Err(first.to_string());
            }
            semver::VersionReq::parse(&comparators.join(", ")).map_err(|_| first.to_string())
        }
    }
}

/// The version a tag name stands for: `v1.2.3` and `1.2.3`, nothing else.
pub(crate) fn tag_version(tag: &str) -> Option<semver::Version> {
    let text = tag.strip_prefix('v').unwrap_or(tag);
    semver::Version::parse(text).ok()
}

/// The tag with the highest version in `range`, from tag names.
pub(crate) fn pick_semver<'a>(
    range: &SemverRange,
    tags: impl IntoIterator<Item = &'a str>,
) -> Option<(&'a str, semver::Version)> {
    tags.into_iter()
        .filter_map(|tag| tag_version(tag).map(|v| (tag, v)))
        .filter(|(_, v)| range.matches(v))
        // On equal versions (`v1.2.3` and `1.2.3`) the name decides, so the choice is stable.
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
}

/// Up to `n` names closest to `wanted` by edit distance, closest first.
pub(crate) fn closest<'a>(
    wanted: &str,
    names: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = names
        .into_iter()
        .map(|name| (levenshtein(wanted, name), name))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(n)
        .map(|(_, s)| s.to_owned())
        .collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j] + 1).min(row[j + 1] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

impl fmt::Display for GitRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DefaultBranch => f.write_str("HEAD"),
            Self::Branch(b) => write!(f, "branch:{b}"),
            Self::Tag(t) => write!(f, "tag:{t}"),
            Self::Semver(r) => write!(f, "semver:{}", r.text),
            Self::Commit { id, branch: None } => write!(f, "commit:{id}"),
            Self::Commit {
                id,
                branch: Some(b),
            } => write!(f, "commit:{id}@{b}"),
        }
    }
}

impl FromStr for GitRef {
    type Err = Error;

    /// Parses `kind:value` as written by [`Display`](fmt::Display); `HEAD` is the default branch.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "HEAD" || s.is_empty() {
            return Ok(Self::DefaultBranch);
        }
        let Some((kind, value)) = s.split_once(':') else {
            return Err(Error::InvalidReference {
                reference: s.to_owned(),
                reason: "expected `branch:NAME`, `tag:NAME`, `semver:RANGE`, `commit:SHA[@BRANCH]` or `HEAD`"
                    .into(),
            });
        };
        match kind {
            "branch" => Ok(Self::branch(value)),
            "tag" => Ok(Self::tag(value)),
            "semver" => Self::semver(value),
            "commit" => match value.split_once('@') {
                Some((id, branch)) => Self::commit(id)?.on_branch(branch),
                None => Self::commit(value),
            },
            other => Err(Error::InvalidReference {
                reference: s.to_owned(),
                reason: format!("unknown reference kind `{other}`"),
            }),
        }
    }
}

/// The serialised form: Flux's `ref` object.
#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Parts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    semver: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    commit: Option<String>,
}

impl Serialize for GitRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut parts = Parts::default();
        match self {
            Self::DefaultBranch => {}
            Self::Branch(b) => parts.branch = Some(b.clone()),
            Self::Tag(t) => parts.tag = Some(t.clone()),
            Self::Semver(r) => parts.semver = Some(r.text.clone()),
            Self::Commit { id, branch } => {
                parts.commit = Some(id.clone());
                parts.branch = branch.clone();
            }
        }
        parts.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for GitRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let p = Parts::deserialize(deserializer)?;
        Self::from_parts(
            p.branch.as_deref(),
            p.tag.as_deref(),
            p.semver.as_deref(),
            p.commit.as_deref(),
        )
        .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_picks_the_highest_match() {
        let GitRef::Semver(range) = GitRef::semver(">=1.2.0 <2.0.0").unwrap() else {
            unreachable!()
        };
        let tags = [
            "v1.0.0",
            "v1.2.0",
            "1.3.5",
            "v1.10.0",
            "v2.0.0",
            "v1.11.0-rc.1",
            "latest",
            "v1.9.9",
        ];
        let (tag, version) = pick_semver(&range, tags).unwrap();
        assert_eq!((tag, version.to_string().as_str()), ("v1.10.0", "1.10.0"));
        let GitRef::Semver(none) = GitRef::semver(">=3").unwrap() else {
            unreachable!()
        };
        assert!(pick_semver(&none, tags).is_none());
    }

    #[test]
    fn ranges_parse_in_both_spellings() {
        for text in [
            ">=1.2.0 <2.0.0",
            ">=1.2.0, <2.0.0",
            "^1.2",
            "~1.2.3",
            "1.x",
            "*",
        ] {
            GitRef::semver(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
        assert!(GitRef::semver("banana").is_err());
    }

    #[test]
    fn round_trips_through_strings_and_serde() {
        for text in [
            "branch:main",
            "tag:v1.0.0",
            "semver:>=1.0.0",
            "commit:abcdef0",
            "commit:abcdef0@release/1.x",
            "HEAD",
        ] {
            let r: GitRef = text.parse().unwrap();
            assert_eq!(r.to_string(), text);
            let json = serde_json::to_string(&r).unwrap();
            let back: GitRef = serde_json::from_str(&json).unwrap();
            assert_eq!(back, r, "{json}");
        }
        let r: GitRef = serde_json::from_str(r#"{"branch":"main","tag":"v1"}"#).unwrap();
        assert_eq!(r, GitRef::tag("v1"), "tag wins over branch, as in Flux");
    }

    #[test]
    fn suggests_close_names() {
        let names = ["main", "maint", "develop", "release-1.0", "mainline"];
        assert_eq!(closest("mian", names, 2), ["main", "maint"]);
    }
}
