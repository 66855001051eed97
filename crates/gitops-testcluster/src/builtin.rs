//! Built-in resource types, seeded from k8s-openapi's `Resource` constants.

use std::any::TypeId;

use k8s_openapi::api::{
    admissionregistration::v1 as admission, apps::v1 as apps, autoscaling::v2 as autoscaling,
    batch::v1 as batch, coordination::v1 as coordination, core::v1 as core, events::v1 as events,
    networking::v1 as networking, policy::v1 as policy, rbac::v1 as rbac,
    scheduling::v1 as scheduling, storage::v1 as storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiext;
use k8s_openapi::{NamespaceResourceScope, Resource};

use crate::registry::{ResourceDef, ScalePaths};

/// Extra facts k8s-openapi does not carry.
struct Extra {
    short: &'static [&'static str],
    status: bool,
    scale: bool,
    all: bool,
}

const fn x(short: &'static [&'static str], status: bool, scale: bool, all: bool) -> Extra {
    Extra {
        short,
        status,
        scale,
        all,
    }
}

fn def<K: Resource + 'static>(e: Extra) -> ResourceDef
where
    K::Scope: 'static,
{
    ResourceDef {
        group: K::GROUP.to_string(),
        version: K::VERSION.to_string(),
        kind: K::KIND.to_string(),
        plural: K::URL_PATH_SEGMENT.to_string(),
        singular: K::KIND.to_lowercase(),
        short_names: e.short.iter().map(|s| (*s).to_string()).collect(),
        categories: if e.all {
            vec!["all".to_string()]
        } else {
            vec![]
        },
        namespaced: TypeId::of::<K::Scope>() == TypeId::of::<NamespaceResourceScope>(),
        status: e.status,
        scale: e.scale.then(|| ScalePaths {
            spec_replicas: ".spec.replicas".into(),
            status_replicas: ".status.replicas".into(),
            label_selector: Some(".status.selector".into()),
        }),
        schema: None,
        custom: false,
        printer_columns: vec![],
    }
}

/// Every built-in resource definition.
pub fn defs() -> Vec<ResourceDef> {
    vec![
        def::<core::Namespace>(x(&["ns"], true, false, false)),
        def::<core::ConfigMap>(x(&["cm"], false, false, false)),
        def::<core::Secret>(x(&[], false, false, false)),
        def::<core::Service>(x(&["svc"], true, false, true)),
        def::<core::ServiceAccount>(x(&["sa"], false, false, false)),
        def::<core::Pod>(x(&["po"], true, false, true)),
        def::<core::PersistentVolumeClaim>(x(&["pvc"], true, false, false)),
        def::<core::PersistentVolume>(x(&["pv"], true, false, false)),
        def::<core::Endpoints>(x(&["ep"], false, false, false)),
        def::<core::Event>(x(&["ev"], false, false, false)),
        def::<core::LimitRange>(x(&["limits"], false, false, false)),
        def::<core::ResourceQuota>(x(&["quota"], true, false, false)),
        def::<core::Node>(x(&["no"], true, false, false)),
        def::<apps::Deployment>(x(&["deploy"], true, true, true)),
        def::<apps::StatefulSet>(x(&["sts"], true, true, true)),
        def::<apps::DaemonSet>(x(&["ds"], true, false, true)),
        def::<apps::ReplicaSet>(x(&["rs"], true, true, true)),
        def::<apps::ControllerRevision>(x(&[], false, false, false)),
        def::<batch::Job>(x(&[], true, false, true)),
        def::<batch::CronJob>(x(&["cj"], true, false, true)),
        def::<networking::Ingress>(x(&["ing"], true, false, false)),
        def::<networking::IngressClass>(x(&[], false, false, false)),
        def::<networking::NetworkPolicy>(x(&["netpol"], false, false, false)),
        def::<rbac::Role>(x(&[], false, false, false)),
        def::<rbac::RoleBinding>(x(&[], false, false, false)),
        def::<rbac::ClusterRole>(x(&[], false, false, false)),
        def::<rbac::ClusterRoleBinding>(x(&[], false, false, false)),
        def::<apiext::CustomResourceDefinition>(x(&["crd", "crds"], true, false, false)),
        def::<policy::PodDisruptionBudget>(x(&["pdb"], true, false, false)),
        def::<autoscaling::HorizontalPodAutoscaler>(x(&["hpa"], true, false, true)),
        def::<coordination::Lease>(x(&[], false, false, false)),
        def::<storage::StorageClass>(x(&["sc"], false, false, false)),
        def::<scheduling::PriorityClass>(x(&["pc"], false, false, false)),
        def::<admission::MutatingWebhookConfiguration>(x(&[], false, false, false)),
        def::<admission::ValidatingWebhookConfiguration>(x(&[], false, false, false)),
        def::<events::Event>(x(&["ev"], false, false, false)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_scope_and_names_from_k8s_openapi() {
        let d = defs();
        let deploy = d.iter().find(|d| d.kind == "Deployment").unwrap();
        assert_eq!(deploy.group, "apps");
        assert_eq!(deploy.plural, "deployments");
        assert!(deploy.namespaced);
        let ns = d.iter().find(|d| d.kind == "Namespace").unwrap();
        assert!(!ns.namespaced);
        let crd = d
            .iter()
            .find(|d| d.kind == "CustomResourceDefinition")
            .unwrap();
        assert_eq!(crd.group, "apiextensions.k8s.io");
        assert!(!crd.namespaced);
    }
}
