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

/// Helm's hook weight, the order of hooks of one phase.
pub const HELM_HOOK_WEIGHT: &str = "helm.sh/hook-weight";

/// `gitops.rs/prune: disabled` keeps an object in the cluster when it leaves the desired set.
pub const PRUNE: &str = "gitops.rs/prune";

/// `gitops.rs/replace: "true"`: an update rejected for an immutable field deletes and re-creates.
pub const REPLACE: &str = "gitops.rs/replace";

/// The default field manager of server-side apply.
pub const FIELD_MANAGER: &str = "gitops";
