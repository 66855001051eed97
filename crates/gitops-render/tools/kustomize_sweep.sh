#!/bin/bash
# Builds every kustomization under the given directories with `kubectl kustomize` and with
# gitops-render (examples/kustomize_build.rs), and tallies how they compare:
#   SAME        both succeed, byte-identical output
#   DIFF        both succeed, outputs differ (the directory is listed)
#   BOTH-FAIL   both refuse (remote resources without a loader, helmCharts, missing files...)
#   KUBECTL-ONLY / OURS-ONLY   only one succeeds (listed with the other's error)
# Components are skipped (they cannot be built on their own).
#
# usage: tools/kustomize_sweep.sh [--load-restrictor-none] DIR...
# env:   KUSTOMIZE_BUILD  the kustomize_build binary (default: the release build in
#                         $CARGO_TARGET_DIR, else target/)
#        KUBECTL_TIMEOUT  seconds one kubectl run may take (default 120)
set -u
restrict=()
ours_env=()
if [ "${1:-}" = "--load-restrictor-none" ]; then
    restrict=(--load-restrictor LoadRestrictionsNone)
    ours_env=(KUSTOMIZE_LOAD_RESTRICTOR=none)
    shift
fi
target=${CARGO_TARGET_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/target}
ours=${KUSTOMIZE_BUILD:-$target/release/examples/kustomize_build}
[ -x "$ours" ] || { echo "build it first: cargo build --release -p gitops-render --example kustomize_build" >&2; exit 2; }
command -v kubectl >/dev/null || { echo "kubectl is not on the PATH" >&2; exit 2; }
timeout=${KUBECTL_TIMEOUT:-120}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
declare -A tally
for root in "$@"; do
    while IFS= read -r file; do
        dir=$(dirname "$file")
        grep -q '^kind: *Component' "$file" && continue
        timeout "$timeout" kubectl kustomize "${restrict[@]}" "$dir" >"$tmp/e" 2>"$tmp/ee"
        e=$?
        env "${ours_env[@]}" "$ours" "$dir" >"$tmp/a" 2>"$tmp/ae"
        a=$?
        if [ $e -ne 0 ] && [ $a -ne 0 ]; then
            r=BOTH-FAIL
        elif [ $e -ne 0 ]; then
            r=OURS-ONLY
            echo "OURS-ONLY $dir: kubectl: $(grep -o 'err=.*' "$tmp/ee" | head -c 200)"
        elif [ $a -ne 0 ]; then
            r=KUBECTL-ONLY
            echo "KUBECTL-ONLY $dir: $(head -c 300 "$tmp/ae")"
        elif cmp -s "$tmp/e" "$tmp/a"; then
            r=SAME
        else
            r=DIFF
            echo "DIFF $dir"
        fi
        tally[$r]=$(( ${tally[$r]:-0} + 1 ))
    done < <(find "$root" -type f \( -name kustomization.yaml -o -name kustomization.yml -o -name Kustomization \) | sort)
done
for r in SAME DIFF BOTH-FAIL KUBECTL-ONLY OURS-ONLY; do
    echo "$r: ${tally[$r]:-0}"
done
