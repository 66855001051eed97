//! The fetch itself, on a blocking thread: resolve the reference with one `ls-refs`, transfer
//! objects only when the commit is not in the cache, materialise the tree.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use gitops_core::{Artifact, CommitInfo};
use gix::protocol::handshake::Ref;
use gix::remote::fetch::{Shallow, Tags, refmap::Source as MappingSource};

use super::cache::{self, LockError};
use super::reference::{self, GitRef};
use super::{Error, Fetched, Inner, Transfer, checkout, transport};

/// One fetch: the source, the interrupt flag and the deadline.
pub(crate) struct Job<'a> {
    pub(crate) source: &'a Inner,
    pub(crate) interrupt: &'a AtomicBool,
    pub(crate) deadline: Instant,
}

/// What a reference resolved to.
struct Resolved {
    commit: gix::ObjectId,
    /// The name in the revision (`main`, `v1.2.0`), if any.
    name: Option<String>,
    transfer: Transfer,
}

/// Where a gix error happened, to tell "unreachable" from "failed during transfer".
#[derive(Clone, Copy)]
enum Stage {
    Connect,
    Transfer,
}

pub(crate) fn run(job: &Job<'_>) -> Result<Fetched, Error> {
    let inner = job.source;
    let _lock = cache::lock(&inner.dir, job.deadline, job.interrupt).map_err(|e| match e {
        LockError::Timeout => job.timeout(),
        LockError::Interrupted => job.cancelled(),
        LockError::Io(e) => e,
    })?;
    let repo = cache::open_or_init(&inner.dir.join("repo.git"))?;
    let resolved = resolve(job, &repo)?;
    let hex = resolved.commit.to_hex().to_string();
    let revision = match &resolved.name {
        Some(name) => format!("{name}@sha1:{hex}"),
        None => format!("sha1:{hex}"),
    };
    let artifacts = inner.dir.join("artifacts");
    let root = checkout::materialise(
        &repo,
        resolved.commit,
        &artifacts,
        inner.options.keep_artifacts,
        &checkout::Context {
            revision: &revision,
            interrupt: job.interrupt,
            url: &inner.url.display,
        },
    )?;
    cache::prune_artifacts(&artifacts, &root, inner.options.keep_artifacts);
    if !root.join(&inner.sub_path).is_dir() {
        return Err(Error::PathNotFound {
            path: inner.sub_path.clone(),
            revision,
        });
    }
    let commit = commit_info(&repo, resolved.commit)?;
    Ok(Fetched {
        artifact: Artifact {
            root,
            path: inner.sub_path.clone(),
            revision,
            commit: Some(commit),
        },
        commit_id: hex,
        transfer: resolved.transfer,
    })
}

impl Job<'_> {
    fn url(&self) -> String {
        self.source.url.display.clone()
    }

    fn timeout(&self) -> Error {
        Error::Timeout {
            url: self.url(),
            after: self.source.options.timeout,
        }
    }

    fn cancelled(&self) -> Error {
        Error::Cancelled { url: self.url() }
    }

    fn shallow(&self, repo: &gix::Repository) -> Shallow {
        match std::num::NonZeroU32::new(self.source.options.depth) {
            Some(depth) => Shallow::DepthAtRemote(depth),
            None if repo.is_shallow().unwrap_or(true) => Shallow::undo(),
            None => Shallow::NoChange,
        }
    }

    /// Turns a gix error into ours, by class and stage; never by message.
    fn classify(&self, error: gix::Error, stage: Stage) -> Error {
        if self.interrupt.load(Ordering::Relaxed) {
            return self.cancelled();
        }
        let timed_out = error.iter_errors().any(|e| {
            e.downcast_ref::<std::io::Error>().is_some_and(|e| {
                matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                )
            })
        });
        if timed_out || Instant::now() >= self.deadline {
            return self.timeout();
        }
        let url = self.url();
        if error.is_unauthenticated() {
            return Error::AuthenticationRefused {
                url,
                had_credentials: self.source.auth.is_some(),
                source: error,
            };
        }
        match stage {
            Stage::Connect => Error::Unreachable { url, source: error },
            Stage::Transfer => Error::Fetch { url, source: error },
        }
    }

    fn repo_error(&self, repo: &gix::Repository) -> impl Fn(gix::Error) -> Error {
        let path = repo.path().to_owned();
        move |source| Error::Repository {
            path: path.clone(),
            source,
        }
    }
}

fn resolve(job: &Job<'_>, repo: &gix::Repository) -> Result<Resolved, Error> {
    match &job.source.options.reference {
        GitRef::DefaultBranch => {
            let fetched = fetch_spec(
                job,
                repo,
                "+HEAD:refs/remotes/origin/HEAD",
                job.shallow(repo),
            )?
            .ok_or_else(|| Error::RefNotFound {
                url: job.url(),
                kind: "branch",
                name: "HEAD".into(),
                suggestions: Vec::new(),
            })?;
            let name = fetched
                .remote_name
                .as_deref()
                .map(|n| n.strip_prefix("refs/heads/").unwrap_or(n).to_owned());
            Ok(Resolved {
                commit: fetched.commit,
                name,
                transfer: fetched.transfer,
            })
        }
        GitRef::Branch(name) => fetch_named(job, repo, "refs/heads/", name, "branch"),
        GitRef::Tag(name) => fetch_named(job, repo, "refs/tags/", name, "tag"),
        GitRef::Semver(range) => {
            let tags = list_refs(job, repo, &["+refs/tags/*:refs/tags/*"])?;
            let names = tags
                .iter()
                .filter_map(|r| r.name.strip_prefix("refs/tags/").map(|short| (short, r)));
            let by_name: Vec<(&str, &RemoteRef)> = names.collect();
            let Some((tag, _version)) =
                reference::pick_semver(range, by_name.iter().map(|(n, _)| *n))
            else {
                let mut versions: Vec<(semver::Version, &str)> = by_name
                    .iter()
                    .filter_map(|(n, _)| reference::tag_version(n).map(|v| (v, *n)))
                    .collect();
                versions.sort_by(|a, b| b.cmp(a));
                return Err(Error::NoMatchingTag {
                    url: job.url(),
                    range: range.as_str().to_owned(),
                    latest: versions
                        .into_iter()
                        .take(5)
                        .map(|(_, n)| n.to_owned())
                        .collect(),
                });
            };
            let Some((_, found)) = by_name.iter().find(|(n, _)| *n == tag) else {
                return Err(job.cancelled());
            };
            if repo.has_object(found.commit) && repo.has_object(found.tip) {
                update_local_ref(repo, &found.name, found.tip).map_err(job.repo_error(repo))?;
                return Ok(Resolved {
                    commit: found.commit,
                    name: Some(tag.to_owned()),
                    transfer: Transfer::UpToDate,
                });
            }
            fetch_named(job, repo, "refs/tags/", tag, "tag")
        }
        GitRef::Commit { id, branch } => resolve_commit(job, repo, id, branch.as_deref()),
    }
}

fn fetch_named(
    job: &Job<'_>,
    repo: &gix::Repository,
    prefix: &str,
    name: &str,
    kind: &'static str,
) -> Result<Resolved, Error> {
    let full = format!("{prefix}{name}");
    if gix::refs::FullName::try_from(full.as_str()).is_err() || name.contains('*') {
        return Err(Error::InvalidReference {
            reference: name.to_owned(),
            reason: format!("not a valid {kind} name"),
        });
    }
    let spec = format!("+{full}:{full}");
    match fetch_spec(job, repo, &spec, job.shallow(repo))? {
        Some(fetched) => Ok(Resolved {
            commit: fetched.commit,
            name: Some(name.to_owned()),
            transfer: fetched.transfer,
        }),
        None => Err(ref_not_found(job, repo, prefix, name, kind)),
    }
}

fn ref_not_found(
    job: &Job<'_>,
    repo: &gix::Repository,
    prefix: &str,
    name: &str,
    kind: &'static str,
) -> Error {
    let spec = format!("+{prefix}*:{prefix}*");
    let suggestions = match list_refs(job, repo, &[spec.as_str()]) {
        Ok(refs) => reference::closest(
            name,
            refs.iter().filter_map(|r| r.name.strip_prefix(prefix)),
            3,
        ),
        Err(error) => return error,
    };
    Error::RefNotFound {
        url: job.url(),
        kind,
        name: name.to_owned(),
        suggestions,
    }
}

fn resolve_commit(
    job: &Job<'_>,
    repo: &gix::Repository,
    id: &str,
    branch: Option<&str>,
) -> Result<Resolved, Error> {
    let name = branch.map(str::to_owned);
    let not_found = || Error::CommitNotFound {
        url: job.url(),
        id: id.to_owned(),
        branch: name.clone(),
    };
    let local = |repo: &gix::Repository| -> Option<gix::ObjectId> {
        let found = if id.len() == 40 {
            gix::ObjectId::from_hex(id.as_bytes()).ok()
        } else {
            let prefix = gix::hash::Prefix::from_hex(id).ok()?;
            repo.objects.lookup_prefix(prefix, None).ok()??.ok()
        }?;
        let is_commit = repo
            .find_object(found)
            .is_ok_and(|o| o.kind == gix::object::Kind::Commit);
        is_commit.then_some(found)
    };
    if let Some(commit) = local(repo) {
        return Ok(Resolved {
            commit,
            name,
            transfer: Transfer::UpToDate,
        });
    }
    let mut transfer = Transfer::UpToDate;
    if id.len() == 40 {
        // Servers speaking protocol v2 hand out any reachable commit by id.
        let spec = format!("{id}:refs/gitops/commit");
        match fetch_spec(job, repo, &spec, job.shallow(repo)) {
            Ok(Some(fetched)) => transfer = fetched.transfer,
            Ok(None) => {}
            Err(error @ (Error::Timeout { .. } | Error::Cancelled { .. })) => return Err(error),
            Err(error @ Error::AuthenticationRefused { .. }) => return Err(error),
            Err(error) => {
                tracing::debug!(url = %job.url(), %error, "fetching the commit by id failed; fetching its branch");
            }
        }
    }
    if local(repo).is_none() {
        // An abbreviated id, or a server that refuses ids: fetch the branch (or all of them)
        // with all history and look for the commit there.
        let spec = match branch {
            Some(b) => format!("+refs/heads/{b}:refs/heads/{b}"),
            None => "+refs/heads/*:refs/heads/*".to_owned(),
        };
        match fetch_spec(job, repo, &spec, Shallow::undo())? {
            Some(fetched) => transfer = fetched.transfer,
            None => {
                return Err(match branch {
                    Some(b) => ref_not_found(job, repo, "refs/heads/", b, "branch"),
                    None => not_found(),
                });
            }
        }
    }
    let commit = local(repo).ok_or_else(not_found)?;
    Ok(Resolved {
        commit,
        name,
        transfer,
    })
}

/// The result of fetching one refspec.
struct FetchedRef {
    /// The commit the remote ref points to (peeled).
    commit: gix::ObjectId,
    /// The remote ref's name (for `HEAD`, the branch it points to).
    remote_name: Option<String>,
    transfer: Transfer,
}

/// Looks `spec` up on the remote and fetches it unless its commit is in the cache already.
/// `None` when the remote has no such ref.
fn fetch_spec(
    job: &Job<'_>,
    repo: &gix::Repository,
    spec: &str,
    shallow: Shallow,
) -> Result<Option<FetchedRef>, Error> {
    let src = job.source;
    let remote = repo
        .remote_at(src.url.url.clone())
        .map(|r| r.with_fetch_tags(Tags::None))
        .and_then(|r| r.with_refspecs([spec], gix::remote::Direction::Fetch))
        .map_err(job.repo_error(repo))?;
    let connection = transport::connect(
        &remote,
        &src.url.url,
        src.auth.as_ref(),
        &src.options.ssh,
        job.deadline,
    )
    .map_err(|e| job.classify(e, Stage::Connect))?;
    let prepare = connection
        .prepare_fetch(gix::progress::Discard, Default::default())
        .map_err(|e| job.classify(e, Stage::Connect))?;
    let Some(mapping) = prepare.ref_map().mappings.first() else {
        return Ok(None);
    };
    let (remote_name, tip, commit) = match &mapping.remote {
        MappingSource::ObjectId(id) => (None, *id, *id),
        MappingSource::Ref(r) => match RemoteRef::from_ref(r) {
            Some(r) => (Some(r.name), r.tip, r.commit),
            None => return Ok(None),
        },
    };
    let local = mapping.local.as_ref().map(|l| l.to_string());
    // The tip too: an annotated tag object may be missing although its commit is here.
    if repo.has_object(commit) && repo.has_object(tip) {
        drop(prepare); // ends the conversation: no negotiation, no pack
        if let Some(local) = local {
            update_local_ref(repo, &local, tip).map_err(job.repo_error(repo))?;
        }
        return Ok(Some(FetchedRef {
            commit,
            remote_name,
            transfer: Transfer::UpToDate,
        }));
    }
    if job.interrupt.load(Ordering::Relaxed) {
        return Err(job.cancelled());
    }
    let outcome = prepare
        .with_shallow(shallow)
        .receive(gix::progress::Discard, job.interrupt)
        .map_err(|e| job.classify(e, Stage::Transfer))?;
    let objects = match outcome.status {
        gix::remote::fetch::Status::Change {
            write_pack_bundle, ..
        } => u64::from(write_pack_bundle.index.num_objects),
        gix::remote::fetch::Status::NoPackReceived { .. } => 0,
    };
    tracing::debug!(url = %job.url(), spec, objects, "received pack");
    Ok(Some(FetchedRef {
        commit,
        remote_name,
        transfer: Transfer::Received { objects },
    }))
}

/// A ref as the remote advertised it.
struct RemoteRef {
    /// Full name (for a symbolic ref, the name of its target).
    name: String,
    /// What the ref points to (a tag object for annotated tags).
    tip: gix::ObjectId,
    /// The commit, peeled.
    commit: gix::ObjectId,
}

impl RemoteRef {
    fn from_ref(r: &Ref) -> Option<Self> {
        Some(match r {
            Ref::Direct {
                full_ref_name,
                object,
            } => Self {
                name: full_ref_name.to_string(),
                tip: *object,
                commit: *object,
            },
            Ref::Peeled {
                full_ref_name,
                tag,
                object,
            } => Self {
                name: full_ref_name.to_string(),
                tip: *tag,
                commit: *object,
            },
            Ref::Symbolic {
                target,
                tag,
                object,
                ..
            } => Self {
                name: target.to_string(),
                tip: tag.unwrap_or(*object),
                commit: *object,
            },
            Ref::Unborn { .. } => return None,
        })
    }
}

/// Lists the remote refs matching `specs` (handshake and `ls-refs` only).
fn list_refs(
    job: &Job<'_>,
    repo: &gix::Repository,
    specs: &[&str],
) -> Result<Vec<RemoteRef>, Error> {
    let src = job.source;
    let remote = repo
        .remote_at(src.url.url.clone())
        .map(|r| r.with_fetch_tags(Tags::None))
        .and_then(|r| r.with_refspecs(specs.iter().copied(), gix::remote::Direction::Fetch))
        .map_err(job.repo_error(repo))?;
    let connection = transport::connect(
        &remote,
        &src.url.url,
        src.auth.as_ref(),
        &src.options.ssh,
        job.deadline,
    )
    .map_err(|e| job.classify(e, Stage::Connect))?;
    let (ref_map, _handshake) = connection
        .ref_map(gix::progress::Discard, Default::default())
        .map_err(|e| job.classify(e, Stage::Connect))?;
    Ok(ref_map
        .remote_refs
        .iter()
        .filter_map(RemoteRef::from_ref)
        .collect())
}

/// Points the cache's `name` at `id` if it points elsewhere (keeps negotiation `have`s right).
fn update_local_ref(repo: &gix::Repository, name: &str, id: gix::ObjectId) -> gix::Result<()> {
    let current = repo
        .try_find_reference(name)?
        .and_then(|r| r.target().try_id().map(ToOwned::to_owned));
    if current != Some(id) {
        repo.reference(
            name,
            id,
            gix::refs::transaction::PreviousValue::Any,
            "gitops: follow remote",
        )?;
    }
    Ok(())
}

fn commit_info(repo: &gix::Repository, id: gix::ObjectId) -> Result<CommitInfo, Error> {
    let repo_error = |source| Error::Repository {
        path: repo.path().to_owned(),
        source,
    };
    let commit = repo.find_commit(id).map_err(repo_error)?;
    let author = commit.author().map_err(repo_error)?;
    let time = author.time().map(|t| t.seconds).unwrap_or_default();
    Ok(CommitInfo {
        id: id.to_hex().to_string(),
        author: author.name.to_string(),
        email: author.email.to_string(),
        time,
        message: commit.message_raw_sloppy().to_string(),
    })
}
