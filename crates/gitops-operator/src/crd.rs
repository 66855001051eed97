//! The custom resources of group `gitops.rs`, version `v1alpha1`: [`GitRepository`] (a source),
//! [`Application`] (what to deploy from it), [`Provider`] and [`Alert`] (where events go).
//!
//! The CRD YAML under `deploy/` is generated from these types ([`crds_yaml`]); a test fails
//! when the two drift apart.

use kube::CustomResource;
use kube::core::CustomResourceExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A condition, as kstatus reads it (`Ready`, `Reconciling`, `Stalled`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `Ready`, `Reconciling` or `Stalled`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// A machine-readable reason, e.g. `ReconciliationSucceeded`.
    pub reason: String,
    /// For people.
    #[serde(default)]
    pub message: String,
    /// When the status last changed (RFC 3339).
    pub last_transition_time: String,
    /// The generation the condition is about.
    #[serde(default)]
    pub observed_generation: i64,
}

/// Which revision of a repository to follow: at most one of branch/tag/semver, and
/// optionally a commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitRepositoryRef {
    /// A branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// A tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// A semver range over tags, e.g. `>=1.2.0 <2.0.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semver: Option<String>,
    /// A commit (full or short SHA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// A reference to a Secret in the same namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SecretRef {
    /// The Secret's name.
    pub name: String,
}

/// A Git repository to follow.
///
/// The Secret of `secretRef` may hold `username`+`password`, `bearerToken`, or `identity`
/// (an SSH private key) with `known_hosts`. The Secret of `webhookSecretRef` holds `token`:
/// the shared secret of push webhooks (HMAC key for GitHub, token for GitLab and generic hooks).
#[derive(CustomResource, Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "gitops.rs",
    version = "v1alpha1",
    kind = "GitRepository",
    namespaced,
    status = "GitRepositoryStatus",
    shortname = "gitrepo",
    category = "gitops",
    printcolumn = r#"{"name":"URL","type":"string","jsonPath":".spec.url"}"#,
    printcolumn = r#"{"name":"Revision","type":"string","jsonPath":".status.artifact.revision"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct GitRepositorySpec {
    /// The repository URL (https, ssh, git, file).
    pub url: String,
    /// What to follow (default: the remote's default branch).
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<GitRepositoryRef>,
    /// How often to look for new commits (default `1m`).
    #[serde(default = "default_source_interval")]
    pub interval: String,
    /// How long one fetch may take (default `60s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
    /// The shared secret of push webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret_ref: Option<SecretRef>,
    /// Paths to leave out of the artifact (gitignore-like globs such as `docs/**`, `*.md`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// Stop fetching.
    #[serde(default)]
    pub suspend: bool,
}

fn default_source_interval() -> String {
    "1m".to_owned()
}

/// The commit an artifact was built from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommitStatus {
    /// The commit id.
    pub id: String,
    /// Its author.
    pub author: String,
    /// The first line of its message.
    pub message: String,
    /// When it was made (RFC 3339).
    pub time: String,
}

/// The artifact of the last successful fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactStatus {
    /// `<ref>@sha1:<hex>`.
    pub revision: String,
    /// The commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitStatus>,
    /// When it was fetched (RFC 3339).
    pub last_update_time: String,
}

/// Observed state of a [`GitRepository`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitRepositoryStatus {
    /// The last artifact fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<ArtifactStatus>,
    /// Ready, Reconciling, Stalled.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// The generation last handled.
    #[serde(default)]
    pub observed_generation: i64,
    /// The last `gitops.rs/reconcile-requested-at` handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
}

/// The source of an [`Application`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceRef {
    /// `GitRepository`.
    #[serde(default = "default_source_kind")]
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Its namespace (default: the Application's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

fn default_source_kind() -> String {
    "GitRepository".to_owned()
}

/// Another Application that must be Ready first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct DependencyRef {
    /// Its name.
    pub name: String,
    /// Its namespace (default: the Application's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// Automated syncing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Automated {
    /// Revert changes made behind Git's back (default true).
    #[serde(default = "yes")]
    pub self_heal: bool,
}

fn yes() -> bool {
    true
}

/// Argo CD's sync policies: automated (optionally self-healing) or manual.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncPolicy {
    /// Sync automatically (the default when no policy is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated: Option<Automated>,
    /// Report drift and new revisions only; sync on `gitops reconcile app` (Argo CD's manual policy).
    #[serde(default)]
    pub manual: bool,
}

/// Fields to leave out of drift and diffs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IgnoreDifference {
    /// API group (any when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// JSON pointers, e.g. `/spec/replicas`.
    #[serde(default)]
    pub json_pointers: Vec<String>,
}

/// What to deploy from a source, and how.
#[derive(CustomResource, Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "gitops.rs",
    version = "v1alpha1",
    kind = "Application",
    namespaced,
    status = "ApplicationStatus",
    shortname = "app",
    category = "gitops",
    printcolumn = r#"{"name":"Revision","type":"string","jsonPath":".status.lastAppliedRevision"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].message"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    /// The source.
    pub source_ref: SourceRef,
    /// The directory to render, relative to the repository (default: its root).
    #[serde(default)]
    pub path: String,
    /// How often to sync even without a new revision (default `5m`).
    #[serde(default = "default_app_interval")]
    pub interval: String,
    /// How soon to retry after a failure (default: the interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<String>,
    /// Delete objects that leave Git, and everything on deletion of the Application (default true).
    #[serde(default = "yes")]
    pub prune: bool,
    /// Wait for health after applying.
    #[serde(default)]
    pub wait: bool,
    /// How long to wait (default `5m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Applications that must be Ready at their latest revision first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<DependencyRef>,
    /// Apply and prune as this ServiceAccount of the Application's namespace (impersonated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// The namespace of namespaced objects that name none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_namespace: Option<String>,
    /// Stop syncing.
    #[serde(default)]
    pub suspend: bool,
    /// Automated (default) or manual.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_policy: Option<SyncPolicy>,
    /// Fields to ignore.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_differences: Vec<IgnoreDifference>,
    /// How a Helm chart at `path` (a directory holding a `Chart.yaml`) renders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm: Option<HelmSpec>,
}

/// `helm template`'s settings for a chart in the source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmSpec {
    /// The release name (default: the Application's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_name: Option<String>,
    /// Values files, relative to the chart's directory and inside the source, merged in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub value_files: Vec<String>,
    /// Values, merged over the files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "free_form_object")]
    pub values: Option<serde_json::Value>,
    /// Single values, last (`--set`, or `--set-string` with `forceString`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<HelmParameter>,
    /// Render the chart's `crds/` (default true; they are applied first).
    #[serde(default = "yes")]
    pub include_crds: bool,
    /// `.Capabilities.KubeVersion` (default: Helm's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
    /// Extra `.Capabilities.APIVersions`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_versions: Vec<String>,
    /// Let `lookup` read the cluster, as the Application's ServiceAccount (default: `lookup`
    /// finds nothing, as in `helm template`).
    #[serde(default)]
    pub lookup: bool,
}

/// One `--set` value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmParameter {
    /// The key, in `--set` syntax (`a.b`, `list[0]`, `a\.b`).
    pub name: String,
    /// The value (taken literally: commas and backslashes are escaped).
    pub value: String,
    /// Keep the value a string (`--set-string`).
    #[serde(default)]
    pub force_string: bool,
}

fn free_form_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

fn default_app_interval() -> String {
    "5m".to_owned()
}

impl ApplicationSpec {
    /// Whether changes are applied automatically.
    pub fn automated(&self) -> bool {
        !self.sync_policy.as_ref().is_some_and(|p| p.manual)
    }

    /// Whether drift on an unchanged revision is reverted.
    pub fn self_heal(&self) -> bool {
        self.sync_policy
            .as_ref()
            .and_then(|p| p.automated.as_ref())
            .is_none_or(|a| a.self_heal)
    }
}

/// What an Application owns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InventorySummary {
    /// The ApplySet id.
    pub id: String,
    /// How many objects.
    pub entries: usize,
}

/// How the cluster differs from Git.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftSummary {
    /// Objects that differ.
    #[serde(default)]
    pub changed: Vec<String>,
    /// Objects that were deleted.
    #[serde(default)]
    pub deleted: Vec<String>,
    /// When this was checked (RFC 3339).
    pub checked_at: String,
}

/// One past sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The revision.
    pub revision: String,
    /// When (RFC 3339).
    pub time: String,
    /// `Succeeded` or `Failed`.
    pub result: String,
    /// Created, configured, deleted counts.
    pub created: usize,
    /// Objects changed.
    pub configured: usize,
    /// Objects pruned.
    pub deleted: usize,
}

/// Observed state of an [`Application`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationStatus {
    /// Ready, Reconciling, Stalled.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// The generation last handled.
    #[serde(default)]
    pub observed_generation: i64,
    /// The revision last applied successfully.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_applied_revision: Option<String>,
    /// The revision last tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_revision: Option<String>,
    /// A digest of the files the last render read: a revision that leaves them unchanged is
    /// recorded without rendering again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs_digest: Option<String>,
    /// What it owns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<InventorySummary>,
    /// Drift found by the last check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftSummary>,
    /// Past syncs, newest last (at most 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
    /// The last `gitops.rs/reconcile-requested-at` handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
}

/// Where alerts go.
#[derive(CustomResource, Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "gitops.rs",
    version = "v1alpha1",
    kind = "Provider",
    namespaced,
    category = "gitops"
)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSpec {
    /// `generic` (JSON event) or `slack`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The URL (or take it from `secretRef`'s `address` key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// A Secret holding `address`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
}

/// Which Applications' events an Alert forwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EventSource {
    /// `Application`.
    #[serde(default = "default_event_kind")]
    pub kind: String,
    /// A name, or `*` for all in the namespace.
    pub name: String,
}

fn default_event_kind() -> String {
    "Application".to_owned()
}

/// Forwards some events of some Applications to a Provider.
#[derive(CustomResource, Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "gitops.rs",
    version = "v1alpha1",
    kind = "Alert",
    namespaced,
    category = "gitops"
)]
#[serde(rename_all = "camelCase")]
pub struct AlertSpec {
    /// The Provider, in the Alert's namespace.
    pub provider_ref: SecretRef,
    /// Whose events.
    pub event_sources: Vec<EventSource>,
    /// Which events (`syncSucceeded`, `syncFailed`, `driftDetected`, `driftHealed`,
    /// `healthDegraded`); all when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
}

/// The CRDs, as one multi-document YAML stream.
pub fn crds_yaml() -> String {
    let crds = [
        serde_json::to_value(GitRepository::crd()),
        serde_json::to_value(Application::crd()),
        serde_json::to_value(Provider::crd()),
        serde_json::to_value(Alert::crd()),
    ];
    let values: Vec<serde_json::Value> = crds.into_iter().filter_map(Result::ok).collect();
    gitops_core::yaml::to_string_multi(&values).unwrap_or_default()
}
