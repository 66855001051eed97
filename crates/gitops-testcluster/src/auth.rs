//! Bearer-token authentication, a small authorisation policy per user or group, and
//! impersonation (`Impersonate-User` / `Impersonate-Group`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::status::ApiError;

/// An authenticated identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// User name (e.g. `alice`, `system:serviceaccount:ns:sa`).
    pub name: String,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// What a user (or group) may do. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Policy {
    /// Namespaces it may touch (cluster-scoped requests need `None`).
    pub namespaces: Option<Vec<String>>,
    /// Verbs it may use.
    pub verbs: Option<Vec<String>>,
    /// Resources (plural names) it may touch.
    pub resources: Option<Vec<String>>,
    /// May impersonate other users.
    pub impersonate: bool,
}

impl Policy {
    /// Everything, including impersonation.
    pub fn admin() -> Self {
        Self {
            impersonate: true,
            ..Self::default()
        }
    }

    fn allows(&self, a: &Attributes<'_>) -> bool {
        let ns_ok = match (&self.namespaces, a.namespace) {
            (None, _) => true,
            (Some(list), Some(ns)) => list.iter().any(|n| n == ns),
            (Some(_), None) => false,
        };
        ns_ok
            && self
                .verbs
                .as_ref()
                .is_none_or(|v| v.iter().any(|x| x == a.verb || x == "*"))
            && self
                .resources
                .as_ref()
                .is_none_or(|r| r.iter().any(|x| x == a.resource || x == "*"))
    }
}

/// Tokens and policies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AuthConfig {
    /// Bearer token → user.
    pub tokens: BTreeMap<String, User>,
    /// Policies by user name, or by `group:NAME`.
    pub policies: BTreeMap<String, Policy>,
    /// The token written into the kubeconfig (must be in `tokens`).
    pub admin_token: String,
    /// Who a request without an `Authorization` header is (None: such requests get 401).
    /// kubectl does not send tokens over plain HTTP; set this (or use TLS) for kubectl.
    pub anonymous: Option<User>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        let token = format!("testcluster-{}", crate::util::random_suffix(24));
        let mut tokens = BTreeMap::new();
        tokens.insert(
            token.clone(),
            User {
                name: "admin".into(),
                groups: vec!["system:masters".into(), "system:authenticated".into()],
            },
        );
        let mut policies = BTreeMap::new();
        policies.insert("group:system:masters".into(), Policy::admin());
        Self {
            tokens,
            policies,
            admin_token: token,
            anonymous: None,
        }
    }
}

/// What a request wants to do.
#[derive(Debug, Clone, Copy)]
pub struct Attributes<'a> {
    /// Verb.
    pub verb: &'a str,
    /// API group.
    pub group: &'a str,
    /// Plural resource name ("" for non-resource URLs).
    pub resource: &'a str,
    /// Namespace, when namespaced.
    pub namespace: Option<&'a str>,
    /// Object name, when any.
    pub name: Option<&'a str>,
}

impl AuthConfig {
    /// Adds a user with a token and a policy.
    #[must_use]
    pub fn with_user(mut self, token: &str, name: &str, groups: &[&str], policy: Policy) -> Self {
        self.tokens.insert(
            token.to_string(),
            User {
                name: name.to_string(),
                groups: groups.iter().map(|g| (*g).to_string()).collect(),
            },
        );
        self.policies.insert(name.to_string(), policy);
        self
    }

    /// Adds a ServiceAccount token: the user `system:serviceaccount:NS:NAME` in the groups
    /// `system:serviceaccounts` and `system:serviceaccounts:NS`.
    #[must_use]
    pub fn with_service_account(
        self,
        token: &str,
        namespace: &str,
        name: &str,
        policy: Policy,
    ) -> Self {
        let user = format!("system:serviceaccount:{namespace}:{name}");
        let ns_group = format!("system:serviceaccounts:{namespace}");
        self.with_user(
            token,
            &user,
            &["system:serviceaccounts", &ns_group, "system:authenticated"],
            policy,
        )
    }

    /// Identifies the caller from an `Authorization` header.
    pub fn authenticate(&self, header: Option<&str>) -> Result<User, ApiError> {
        if header.is_none()
            && let Some(a) = &self.anonymous
        {
            return Ok(a.clone());
        }
        let token = header
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        self.tokens
            .get(token)
            .cloned()
            .ok_or_else(ApiError::unauthorized)
    }

    fn policies_of<'a>(&'a self, u: &'a User) -> impl Iterator<Item = &'a Policy> + 'a {
        std::iter::once(self.policies.get(&u.name))
            .chain(
                u.groups
                    .iter()
                    .map(|g| self.policies.get(&format!("group:{g}"))),
            )
            .flatten()
    }

    /// Applies impersonation headers; the caller must be allowed to impersonate.
    pub fn impersonate(
        &self,
        caller: User,
        as_user: Option<&str>,
        as_groups: &[String],
    ) -> Result<User, ApiError> {
        let Some(target) = as_user else {
            if as_groups.is_empty() {
                return Ok(caller);
            }
            return Err(ApiError::bad_request(
                "requested impersonation of groups without a user",
            ));
        };
        if !self.policies_of(&caller).any(|p| p.impersonate) {
            return Err(ApiError::forbidden(format!(
                "users \"{target}\" is forbidden: User \"{}\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope",
                caller.name
            )));
        }
        let mut groups = as_groups.to_vec();
        if !groups.iter().any(|g| g == "system:authenticated") {
            groups.push("system:authenticated".into());
        }
        Ok(User {
            name: target.to_string(),
            groups,
        })
    }

    /// Checks the policy; the error is the API server's Forbidden message.
    pub fn authorize(&self, u: &User, a: &Attributes<'_>) -> Result<(), ApiError> {
        if a.resource.is_empty() || self.policies_of(u).any(|p| p.allows(a)) {
            return Ok(());
        }
        let qualified = if a.group.is_empty() {
            a.resource.to_string()
        } else {
            format!("{}.{}", a.resource, a.group)
        };
        let what = match a.name {
            Some(n) => format!("{qualified} \"{n}\""),
            None => qualified,
        };
        let scope = match a.namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_string(),
        };
        Err(ApiError::forbidden(format!(
            "{what} is forbidden: User \"{}\" cannot {} resource \"{}\" in API group \"{}\" {scope}",
            u.name, a.verb, a.resource, a.group
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs<'a>(verb: &'a str, ns: Option<&'a str>) -> Attributes<'a> {
        Attributes {
            verb,
            group: "",
            resource: "configmaps",
            namespace: ns,
            name: None,
        }
    }

    #[test]
    fn tokens_policies_and_impersonation() {
        let policy = Policy {
            namespaces: Some(vec!["team-a".into()]),
            verbs: Some(vec!["get".into(), "list".into()]),
            ..Policy::default()
        };
        let a = AuthConfig::default().with_user("t1", "alice", &[], policy);
        assert_eq!(a.authenticate(None).unwrap_err().code, 401);
        let open = AuthConfig {
            anonymous: Some(User {
                name: "system:anonymous".into(),
                groups: vec![],
            }),
            ..a.clone()
        };
        assert_eq!(open.authenticate(None).unwrap().name, "system:anonymous");
        assert_eq!(
            open.authenticate(Some("Bearer nope")).unwrap_err().code,
            401
        );
        assert_eq!(a.authenticate(Some("Bearer nope")).unwrap_err().code, 401);
        let alice = a.authenticate(Some("Bearer t1")).unwrap();
        assert!(a.authorize(&alice, &attrs("get", Some("team-a"))).is_ok());
        assert_eq!(
            a.authorize(&alice, &attrs("delete", Some("team-a")))
                .unwrap_err()
                .code,
            403
        );
        assert_eq!(
            a.authorize(&alice, &attrs("get", Some("team-b")))
                .unwrap_err()
                .code,
            403
        );
        assert_eq!(
            a.impersonate(alice, Some("bob"), &[]).unwrap_err().code,
            403
        );
        let admin = a
            .authenticate(Some(&format!("Bearer {}", a.admin_token)))
            .unwrap();
        let as_alice = a.impersonate(admin, Some("alice"), &[]).unwrap();
        assert_eq!(
            a.authorize(&as_alice, &attrs("get", Some("team-b")))
                .unwrap_err()
                .code,
            403
        );
    }
}
