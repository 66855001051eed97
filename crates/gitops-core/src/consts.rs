//! Every annotation, label and API group name the engine reads or writes, defined once.
//!
//! Our own keys use the prefix [`PREFIX`] (`gitops.rs`). Keys of other tools that we honour
//! (Argo CD, Helm, kpt) are listed here too, so that a search for a key finds its only definition.

/// The prefix of our annotations and labels, and our API group.
pub const PREFIX: &str = "gitops.rs";

/// API group of the gitops-rs custom resources.
pub const API_GROUP: &str = "gitops.rs";

/// `gitops.rs/depends-on: <ref>[,<ref>...]`: objects that must be applied before this one.
///
/// The references use the kpt / cli-utils syntax, see [`crate::plan::DependsOnRef`].
pub const DEPENDS_ON: &str = "gitops.rs/depends-on";

/// kpt's and cli-utils' `config.kubernetes.io/depends-on`, honoured like [`DEPENDS_ON`].
pub const KPT_DEPENDS_ON: &str = "config.kubernetes.io/depends-on";

/// `gitops.rs/wave: <integer>`: lower waves are applied first; the default is 0.
pub const WAVE: &str = "gitops.rs/wave";

/// Argo CD's sync wave, used when [`WAVE`] is absent.
pub const ARGOCD_SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// Argo CD's hook annotation (`PreSync`, `Sync`, `PostSync`, `SyncFail`, `PostDelete`, `Skip`).
pub const ARGOCD_HOOK: &str = "argocd.argoproj.io/hook";

/// Helm's hook annotation (`pre-install`, `post-upgrade`, `test`, ...; comma separated).
pub const HELM_HOOK: &str = "helm.sh/hook";

/// The hook events Helm v4 knows (`helm.sh/hook` values; `test-success` is read as `test`).
pub const HELM_HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
];

/// Helm's hook weight, the order of hooks of one phase.
pub const HELM_HOOK_WEIGHT: &str = "helm.sh/hook-weight";

/// `gitops.rs/prune: disabled` keeps an object in the cluster when it leaves the desired set.
pub const PRUNE: &str = "gitops.rs/prune";

/// `gitops.rs/replace: "true"`: an update rejected for an immutable field deletes and re-creates.
pub const REPLACE: &str = "gitops.rs/replace";

/// The default field manager of server-side apply.
pub const FIELD_MANAGER: &str = "gitops";

/// On an inventory parent: the source revision the last successful sync applied.
pub const REVISION: &str = "gitops.rs/revision";

/// On an inventory parent: `"true"` while continuous syncing is paused (e.g. after a rollback).
pub const SUSPENDED: &str = "gitops.rs/suspended";

/// On an inventory parent: where the desired state comes from (a tool-defined description
/// without credentials), so later commands can fetch it again.
pub const SOURCE: &str = "gitops.rs/source";

/// On an inventory parent: the hash of a held prune plan that a person approved.
pub const APPROVE_PRUNE: &str = "gitops.rs/approve-prune";

/// KEP-3659 ApplySet label on the parent: the set's id.
pub const APPLYSET_ID: &str = "applyset.kubernetes.io/id";

/// KEP-3659 ApplySet label on every member: the id of the set it belongs to.
pub const APPLYSET_PART_OF: &str = "applyset.kubernetes.io/part-of";

/// KEP-3659 ApplySet annotation on the parent: the tool that manages the set.
pub const APPLYSET_TOOLING: &str = "applyset.kubernetes.io/tooling";

/// KEP-3659 ApplySet annotation on the parent: the members' kinds, `Kind.group` comma-separated.
pub const APPLYSET_GROUP_KINDS: &str = "applyset.kubernetes.io/contains-group-kinds";

/// KEP-3659 ApplySet annotation on the parent: namespaces of members other than the parent's.
pub const APPLYSET_NAMESPACES: &str = "applyset.kubernetes.io/additional-namespaces";

/// On a gitops-rs custom resource: asks for an immediate reconcile (the value is a timestamp;
/// each new value triggers one).
pub const RECONCILE_REQUESTED_AT: &str = "gitops.rs/reconcile-requested-at";

/// The finalizer of Applications: prunes their objects before they go.
pub const FINALIZER: &str = "gitops.rs/finalizer";
