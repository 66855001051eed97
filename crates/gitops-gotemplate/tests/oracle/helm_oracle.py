#!/usr/bin/env python3
"""Render template cases with the real Helm v4 SDK (helm-python-sdk) and print the results.

The differential oracle of gitops-gotemplate. Input (stdin, JSON):

    {"cases": [{"name": "...", "template": "...", "values": {...},
                "extra": {"_helpers.tpl": "..."}, "files": {"a.txt": "..."}}]}

For every case a throw-away chart is written to a temp dir (Chart.yaml `c` 0.1.0,
templates/t.yaml = the case template, plus `extra` templates and `files`), rendered
offline with release `rel` in namespace `ns`, and the output of `c/templates/t.yaml`
(or Helm's error message) is reported. Output (stdout, JSON):

    {"results": [{"name": "...", "ok": "..."} | {"name": "...", "err": "..."}],
     "helm": "<sdk version>"}

Usage:
    python3 helm_oracle.py < cases.json > results.json
    python3 helm_oracle.py --regen cases.yaml fixture.json   # snapshot a curated table
    python3 helm_oracle.py --bench CHART_DIR [--name N --namespace NS --iterations K]
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time

import helm_python as helm

CHART_YAML = "apiVersion: v2\nname: c\nversion: 0.1.0\nappVersion: 1.2.3\ndescription: oracle chart\n"


def render_case(root: str, i: int, case: dict) -> dict:
    chart = os.path.join(root, f"case{i}", "c")
    os.makedirs(os.path.join(chart, "templates"))
    with open(os.path.join(chart, "Chart.yaml"), "w", encoding="utf-8") as fh:
        fh.write(CHART_YAML)
    with open(os.path.join(chart, "templates", "t.yaml"), "w", encoding="utf-8") as fh:
        fh.write(case["template"])
    for name, text in (case.get("extra") or {}).items():
        with open(os.path.join(chart, "templates", name), "w", encoding="utf-8") as fh:
            fh.write(text)
    for name, text in (case.get("files") or {}).items():
        path = os.path.join(chart, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    out = {"name": case.get("name", str(i))}
    try:
        with helm.Chart.load(chart) as ch:
            files = ch.render(case.get("values") or {}, name="rel", namespace="ns",
                              revision=1, is_install=True)
        out["ok"] = files.get("c/templates/t.yaml", "")
    except helm.HelmError as e:  # noqa: PERF203
        out["err"] = str(e)
    return out


def run(cases: list[dict]) -> list[dict]:
    with tempfile.TemporaryDirectory() as root:
        return [render_case(root, i, c) for i, c in enumerate(cases)]


def regen(cases_path: str, fixture_path: str) -> None:
    import yaml

    with open(cases_path, encoding="utf-8") as fh:
        cases = yaml.safe_load(fh)["cases"]
    results = run(cases)
    for c, r in zip(cases, results):
        c.pop("expect", None)
        c["expect"] = {k: v for k, v in r.items() if k != "name"}
    with open(fixture_path, "w", encoding="utf-8") as fh:
        json.dump({"helm": helm.helm_sdk_version(), "cases": cases}, fh, indent=1, ensure_ascii=False)
        fh.write("\n")


def bench(chart: str, name: str, namespace: str, iterations: int) -> None:
    """Median in-process render time of a chart (Chart.render), excluding interpreter start."""
    with helm.Chart.load(chart) as ch:
        ch.render(None, name=name, namespace=namespace, revision=1, is_install=True)  # warm up
        times = []
        for _ in range(iterations):
            t0 = time.perf_counter()
            ch.render(None, name=name, namespace=namespace, revision=1, is_install=True)
            times.append(time.perf_counter() - t0)
    times.sort()
    print(json.dumps({"chart": chart, "median_ms": times[len(times) // 2] * 1000,
                      "min_ms": times[0] * 1000, "iterations": iterations}))


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--regen"]:
        regen(args[1], args[2])
        return 0
    if args[:1] == ["--bench"]:
        opts = {"--name": "release", "--namespace": "default", "--iterations": "50"}
        rest = args[2:]
        for k, v in zip(rest[::2], rest[1::2]):
            opts[k] = v
        bench(args[1], opts["--name"], opts["--namespace"], int(opts["--iterations"]))
        return 0
    req = json.load(sys.stdin)
    json.dump({"helm": helm.helm_sdk_version(), "results": run(req["cases"])}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
