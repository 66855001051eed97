//! Discovery, cached: which resource serves a kind, and whether it is namespaced.
//!
//! Only the group-versions the objects use are discovered (one request each, cached for the
//! backend's lifetime), instead of the whole API surface. A kind that is missing is looked up
//! again (its CRD may have just been applied), and for kinds whose CustomResourceDefinition this
//! backend applied, until the CRD is served or the timeout passes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use kube::Client;
use kube::core::{GroupVersion, GroupVersionKind};
use kube::discovery::{self, ApiCapabilities, ApiResource, Scope};

use crate::error::Error;

/// A resolved kind.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The resource (plural, group, version).
    pub resource: ApiResource,
    /// Whether objects of the kind live in namespaces.
    pub namespaced: bool,
}

type Resources = Arc<Vec<(ApiResource, ApiCapabilities)>>;

/// Discovered group-versions, `(group, version) -> resources` (`None`: not served).
type Cache = HashMap<(String, String), Option<Resources>>;

/// A cache of discovered group-versions.
#[derive(Clone)]
pub struct Resolver {
    client: Client,
    cache: Arc<Mutex<Cache>>,
    /// `(group, kind)` of CRDs applied through this backend: worth waiting for.
    pending: Arc<Mutex<HashSet<(String, String)>>>,
    timeout: Duration,
}

fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

impl Resolver {
    /// A resolver over `client`, waiting up to `timeout` for CRDs it was told about.
    pub fn new(client: Client, timeout: Duration) -> Self {
        Self {
            client,
            cache: Arc::default(),
            pending: Arc::default(),
            timeout,
        }
    }

    /// Remembers that a CRD for `(group, kind)` was applied: resolving it may wait.
    pub fn expect(&self, group: &str, kind: &str) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((group.to_owned(), kind.to_owned()));
    }

    fn cached(&self, group: &str, version: &str) -> Option<Option<Resources>> {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(group.to_owned(), version.to_owned()))
            .cloned()
    }

    async fn discover(&self, group: &str, version: &str) -> Result<Option<Resources>, Error> {
        let gv = GroupVersion::gv(group, version);
        let found = match discovery::pinned_group(&self.client, &gv).await {
            Ok(api_group) => Some(Arc::new(api_group.versioned_resources(version))),
            Err(kube::Error::Api(status)) if status.code == 404 => None,
            Err(e) => return Err(Error::kube(format!("discover {}", gv.api_version()), &e)),
        };
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((group.to_owned(), version.to_owned()), found.clone());
        Ok(found)
    }

    fn find(resources: &Option<Resources>, kind: &str) -> Option<Resolved> {
        resources
            .as_ref()?
            .iter()
            .find(|(r, _)| r.kind == kind)
            .map(|(r, caps)| Resolved {
                resource: r.clone(),
                namespaced: caps.scope == Scope::Namespaced,
            })
    }

    /// The resource serving `kind` in `api_version`, or `None` if the cluster serves none.
    pub async fn resolve(&self, api_version: &str, kind: &str) -> Result<Option<Resolved>, Error> {
        let (group, version) = split_api_version(api_version);
        if let Some(resources) = self.cached(group, version)
            && let Some(found) = Self::find(&resources, kind)
        {
            return Ok(Some(found));
        }
        let wait = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&(group.to_owned(), kind.to_owned()));
        let deadline = Instant::now() + if wait { self.timeout } else { Duration::ZERO };
        let mut pause = Duration::from_millis(50);
        loop {
            let resources = self.discover(group, version).await?;
            if let Some(found) = Self::find(&resources, kind) {
                return Ok(Some(found));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    /// The resource serving `kind` in `group` at the group's preferred version (for inventory
    /// members, whose version is not recorded).
    pub async fn resolve_group_kind(
        &self,
        group: &str,
        kind: &str,
    ) -> Result<Option<Resolved>, Error> {
        // A version already discovered for the group is as good as any.
        let known: Vec<Option<Resources>> = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|((g, _), _)| g == group)
            .map(|(_, r)| r.clone())
            .collect();
        if let Some(found) = known.iter().find_map(|r| Self::find(r, kind)) {
            return Ok(Some(found));
        }
        let api_group = match discovery::group(&self.client, group).await {
            Ok(api_group) => api_group,
            Err(kube::Error::Api(status)) if status.code == 404 => return Ok(None),
            Err(kube::Error::Discovery(_)) => return Ok(None),
            Err(e) => return Err(Error::kube(format!("discover group {group:?}"), &e)),
        };
        Ok(api_group
            .recommended_kind(kind)
            .map(|(resource, caps)| Resolved {
                resource,
                namespaced: caps.scope == Scope::Namespaced,
            }))
    }

    /// The group-version-kind of an apiVersion and kind.
    pub fn gvk(api_version: &str, kind: &str) -> GroupVersionKind {
        let (group, version) = split_api_version(api_version);
        GroupVersionKind::gvk(group, version, kind)
    }
}
