#!/usr/bin/env python3
"""Oracle for gitops-render's Helm tests: renders charts with the real Helm v4 SDK
(helm-python-sdk) and prints what `helm template` prints.

Input (stdin, JSON): {"cases": [{"name", "chart", "release", "namespace",
"values_files": [...], "set": [...], "set_string": [...], "set_json": [...],
"skip_tests": bool}]}
Output (stdout, JSON): {"helm": "<sdk version>", "results": [{"name", "ok"} | {"name", "err"}]}

Like shared/corpus/tools/helm_render.py: the manifest comes from a client-side dry-run
install; hooks are re-derived from Chart.render() with Helm v4's rules and the same
rules must reproduce the manifest. Values are built as `helm template` builds them:
-f files merged in order, then --set-json, --set, --set-string.

Usage: python3 oracle.py < cases.json
       python3 oracle.py --bench CHART_DIR [--name N] [--namespace NS] [--iterations K]
         (prints JSON with in-process medians in ms: "render" = Chart.render of a loaded
         chart, "install" = client dry-run install of a loaded chart (the whole
         `helm template` pipeline: values, schema, render, sorting, manifest),
         "load_install" = Chart.load + install, each iteration)
"""
from __future__ import annotations

import json
import posixpath
import time
import re
import sys

import helm_python as helm
import yaml

INSTALL_ORDER = [
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
    "PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret",
    "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
    "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role",
    "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
    "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler",
    "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
]
ORDER = {k: i for i, k in enumerate(INSTALL_ORDER)}
EVENTS = {
    "pre-install", "post-install", "pre-delete", "post-delete", "pre-upgrade",
    "post-upgrade", "pre-rollback", "post-rollback", "test", "test-success",
}
SEP = re.compile(r"(?:^|\s*\n)---\s*")
KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: offline
  cluster: {server: "https://127.0.0.1:1"}
contexts:
- name: offline
  context: {cluster: offline, user: offline, namespace: default}
current-context: offline
users:
- name: offline
  user: {}
"""


def merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def kind_key(kind: str):
    return (0, ORDER[kind], "") if kind in ORDER else (1, 0, kind)


def sort_manifests(files: dict[str, str]):
    hooks, generic = [], []
    for path in sorted(files):
        content = files[path]
        if path.endswith("NOTES.txt") or posixpath.basename(path).startswith("_"):
            continue
        if content.strip() == "":
            continue
        for doc in [d.lstrip() for d in SEP.split(content.lstrip()) if d.strip() != ""]:
            head = yaml.safe_load(doc)
            if not isinstance(head, dict):
                head = {}
            kind = head.get("kind") or ""
            meta = head.get("metadata") if isinstance(head.get("metadata"), dict) else {}
            ann = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
            if not ann or "helm.sh/hook" not in ann:
                generic.append((path, kind, doc, []))
                continue
            events = [e.strip().lower() for e in str(ann["helm.sh/hook"]).split(",")]
            if any(e not in EVENTS for e in events):
                continue
            hooks.append((path, kind, doc, events))
    hooks.sort(key=lambda h: kind_key(h[1]))
    generic.sort(key=lambda m: kind_key(m[1]))
    return hooks, generic


def values_of(case: dict) -> dict:
    values: dict = {}
    for f in case.get("values_files") or []:
        with open(f, encoding="utf-8") as fh:
            values = merge(values, helm.values_from_yaml(fh.read()) or {})
    for e in case.get("set_json") or []:
        values = merge(values, helm.parse_set_json(e))
    for e in case.get("set") or []:
        values = merge(values, helm.parse_set_string(e))
    for e in case.get("set_string") or []:
        values = merge(values, helm.parse_set_string_values(e))
    return values


def render(case: dict) -> str:
    values = values_of(case)
    name, ns = case.get("release", "release-name"), case.get("namespace", "default")
    with helm.Config(kubeconfig_content=KUBECONFIG, namespace=ns, storage_driver="memory") as cfg:
        rel = cfg.install(case["chart"], name, values or None, namespace=ns, dry_run="client")
    manifest = rel.get("manifest") or ""
    with helm.Chart.load(case["chart"]) as chart:
        files = chart.render(values or None, name=name, namespace=ns, revision=1, is_install=True)
    hooks, generic = sort_manifests(files)
    rebuilt = "".join(f"---\n# Source: {p}\n{doc}\n" for p, _, doc, _ in generic)
    if rebuilt != manifest:
        raise SystemExit("oracle: re-derived manifest differs from Helm's")
    out = manifest.strip() + "\n"
    for path, _, doc, events in hooks:
        if case.get("skip_tests") and ("test" in events or "test-success" in events):
            continue
        out += f"---\n# Source: {path}\n{doc}\n"
    return out


def bench(chart: str, name: str, ns: str, iterations: int) -> dict:
    def median(f) -> float:
        f()  # warm up
        times = []
        for _ in range(iterations):
            t0 = time.perf_counter()
            f()
            times.append(time.perf_counter() - t0)
        times.sort()
        return times[len(times) // 2] * 1000

    out = {"chart": chart, "iterations": iterations, "helm": helm.helm_sdk_version()}
    with helm.Config(kubeconfig_content=KUBECONFIG, namespace=ns, storage_driver="memory") as cfg:
        with helm.Chart.load(chart) as ch:
            out["render"] = median(
                lambda: ch.render(None, name=name, namespace=ns, revision=1, is_install=True)
            )
            out["install"] = median(
                lambda: cfg.install(ch, name, None, namespace=ns, dry_run="client")
            )

        def load_install():
            with helm.Chart.load(chart) as c:
                cfg.install(c, name, None, namespace=ns, dry_run="client")

        out["load_install"] = median(load_install)
    return out


def main() -> int:
    if sys.argv[1:2] == ["--bench"]:
        opts = {"--name": "release-name", "--namespace": "default", "--iterations": "50"}
        rest = sys.argv[3:]
        for k, v in zip(rest[::2], rest[1::2]):
            opts[k] = v
        res = bench(sys.argv[2], opts["--name"], opts["--namespace"], int(opts["--iterations"]))
        json.dump(res, sys.stdout)
        return 0
    req = json.load(sys.stdin)
    results = []
    for case in req["cases"]:
        try:
            results.append({"name": case["name"], "ok": render(case)})
        except helm.HelmError as e:  # noqa: PERF203
            results.append({"name": case["name"], "err": str(e)})
    json.dump({"helm": helm.helm_sdk_version(), "results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
