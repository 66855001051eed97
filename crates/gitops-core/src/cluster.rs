//! [`Cluster`]: everything a sync needs from a target, beyond applying and diffing.

use std::time::Duration;

use async_trait::async_trait;

use crate::apply::Applier;
use crate::diff::Differ;
use crate::health::Health;
use crate::inventory::Inventory;
use crate::object::{Object, ObjectRef};

/// How an error should be treated by callers.
pub trait ErrorClass {
    /// Trying again later may succeed (throttling, timeouts, a server restarting).
    fn is_transient(&self) -> bool;

    /// The input is wrong (an unknown kind, an invalid object); retrying will not help.
    fn is_bad_input(&self) -> bool {
        false
    }
}

impl ErrorClass for std::convert::Infallible {
    fn is_transient(&self) -> bool {
        match *self {}
    }
}

/// A target that a sync can reconcile: apply, diff, and the bookkeeping around them.
///
/// One error type serves every operation, so a sync can report any failure the same way.
#[async_trait]
pub trait Cluster: Applier + Differ<Error = <Self as Applier>::Error>
where
    <Self as Applier>::Error: ErrorClass,
{
    /// Fixes each object's scope as the target sees it: namespaced objects without a
    /// namespace get the default one, cluster-scoped objects lose any namespace. A kind the
    /// target does not serve, and that no CustomResourceDefinition in `objects` defines, is an
    /// error (bad input).
    async fn prepare(&self, objects: Vec<Object>) -> Result<Vec<Object>, <Self as Applier>::Error>;

    /// Reads the inventory of the sync `name`, if it exists.
    async fn load_inventory(
        &self,
        name: &str,
        namespace: &str,
    ) -> Result<Option<Inventory>, <Self as Applier>::Error>;

    /// Writes the inventory.
    async fn save_inventory(&self, inventory: &Inventory) -> Result<(), <Self as Applier>::Error>;

    /// The health of each object now.
    async fn health(
        &self,
        objects: &[Object],
    ) -> Result<Vec<(ObjectRef, Health)>, <Self as Applier>::Error>;

    /// Waits until every object is current or failed, or until `timeout`; returns the health
    /// of each at the end (those still in progress when time ran out stay in progress).
    async fn wait(
        &self,
        objects: &[Object],
        timeout: Duration,
    ) -> Result<Vec<(ObjectRef, Health)>, <Self as Applier>::Error>;
}
