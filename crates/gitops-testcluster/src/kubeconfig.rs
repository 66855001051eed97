//! The kubeconfig file the server writes for kubectl and kube-rs.

use base64::Engine;

/// Renders a kubeconfig for `server` with a bearer token (and a CA when TLS is on).
pub fn render(server: &str, token: &str, ca_pem: Option<&str>) -> String {
    let ca = ca_pem
        .map(|p| {
            format!(
                "    certificate-authority-data: {}\n",
                base64::engine::general_purpose::STANDARD.encode(p)
            )
        })
        .unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: testcluster\n  cluster:\n    server: {server}\n{ca}contexts:\n- name: testcluster\n  context:\n    cluster: testcluster\n    user: testcluster-admin\n    namespace: default\ncurrent-context: testcluster\nusers:\n- name: testcluster-admin\n  user:\n    token: {token}\npreferences: {{}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_yaml() {
        let k = render("http://127.0.0.1:1", "tok", Some("PEM"));
        let v: serde_json::Value = serde_saphyr::from_str(&k).unwrap();
        assert_eq!(v["users"][0]["user"]["token"], "tok");
        assert_eq!(v["clusters"][0]["cluster"]["server"], "http://127.0.0.1:1");
        assert!(v["clusters"][0]["cluster"]["certificate-authority-data"].is_string());
    }
}
