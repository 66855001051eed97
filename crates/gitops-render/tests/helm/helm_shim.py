#!/usr/bin/env python3
"""A `helm` command for `kubectl kustomize --enable-helm --helm-command helm_shim.py`: answers
the two calls kustomize v5.5 makes for a local chart (`version -c --short` and `template NAME
CHART | --generate-name CHART [--namespace NS] [-f FILE]... [--skip-tests]`) with the real Helm v4 SDK, through
oracle.py. Anything else (pull, --include-crds, ...) fails loudly, so a test never compares
against a guess.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oracle  # noqa: E402


def main(argv: list[str]) -> int:
    if argv[:1] == ["version"]:
        print("v3.99.0+shim")  # kustomize refuses v2 only
        return 0
    if argv[:1] != ["template"]:
        print(f"helm_shim: unsupported call: {argv}", file=sys.stderr)
        return 2
    positional, case = [], {"values_files": [], "namespace": "default"}
    rest = argv[1:]
    i = 0
    while i < len(rest):
        a = rest[i]
        if a in ("-f", "--values"):
            case["values_files"].append(rest[i + 1])
            i += 2
        elif a in ("-n", "--namespace"):
            case["namespace"] = rest[i + 1]
            i += 2
        elif a == "--generate-name":
            # `helm template` presets the release name, so with one argument this flag does
            # not generate anything: the release is "release-name" (helm/helm#6019).
            i += 1
        elif a == "--skip-tests":
            case["skip_tests"] = True
            i += 1
        elif a.startswith("-"):
            print(f"helm_shim: unsupported flag {a}", file=sys.stderr)
            return 2
        else:
            positional.append(a)
            i += 1
    if len(positional) == 1:
        positional.insert(0, "release-name")
    if len(positional) != 2:
        print(f"helm_shim: expected NAME CHART, got {positional}", file=sys.stderr)
        return 2
    case["release"], case["chart"] = positional
    sys.stdout.write(oracle.render(case))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
