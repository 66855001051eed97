#!/usr/bin/env bash
# Whole-process comparison of gitops-rs' native Kustomize renderer with `kubectl kustomize`
# (kustomize v5.5.0), on the shared corpus' Kustomize cases and on overlays of 1,000, 2,000
# and 4,000 resources made by shared/bench/gen_kustomize_overlay.py (the largest also with
# 50 strategic-merge patches). Both programs run in the same invocation of this script, one
# after the other, and every output is also compared byte for byte.
#
# usage: benches/kustomize_compare.sh [--quick]
#   --quick          skip the 4,000-resource overlays (kubectl needs minutes for them)
# environment:
#   KUBECTL_TIMEOUT  seconds one kubectl run may take (default 900)
#   RUNS             runs of our binary per case (default 10; kubectl: 3, or 1 above 60 s)
#   CARGO_TARGET_DIR where the release build goes (cargo's default otherwise)
#
# Uses hyperfine when installed (apt-get install -y hyperfine), a timing loop otherwise.
# Prints a Markdown table: case, resources, medians, ratio, whether the outputs are identical.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$repo/.." && pwd)/shared
quick=${1:-}
kubectl_timeout=${KUBECTL_TIMEOUT:-900}
runs=${RUNS:-10}

cargo build --quiet --release -p gitops-render --example kustomize_build --manifest-path "$repo/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$repo/target}/release/examples/kustomize_build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# median_seconds RUNS CMD...: the median wall time of CMD, in seconds.
median_seconds() {
    local n=$1
    shift
    if command -v hyperfine >/dev/null; then
        hyperfine --style none --warmup "$([ "$n" -gt 1 ] && echo 1 || echo 0)" --runs "$n" \
            --export-json "$work/h.json" -- "$*" >/dev/null 2>&1 || { echo "failed"; return; }
        python3 -c "import json;print('%.4f' % json.load(open('$work/h.json'))['results'][0]['median'])"
    else
        local times=()
        for _ in $(seq "$n"); do
            local start end
            start=$(date +%s%N)
            bash -c "$*" >/dev/null 2>&1 || { echo "failed"; return; }
            end=$(date +%s%N)
            times+=("$(( (end - start) / 1000 ))")
        done
        printf '%s\n' "${times[@]}" | sort -n | python3 -c "import sys;v=[int(l) for l in sys.stdin];print('%.4f' % (v[len(v)//2]/1e6))"
    fi
}

# compare NAME RESOURCES ROOT DIR: times both programs on DIR (a path under ROOT).
compare() {
    local name=$1 resources=$2 root=$3 dir=$4
    local ours theirs ratio same
    (cd "$root" && "$bin" "$dir" . >"$work/ours.yaml")
    local start end
    start=$(date +%s)
    if ! (cd "$root" && timeout "$kubectl_timeout" kubectl kustomize "$dir" >"$work/theirs.yaml" 2>/dev/null); then
        echo "| $name | $resources | - | timeout (> ${kubectl_timeout} s) | - | - |"
        return
    fi
    end=$(date +%s)
    same=$(cmp -s "$work/ours.yaml" "$work/theirs.yaml" && echo yes || echo NO)
    ours=$(median_seconds "$runs" "cd '$root' && '$bin' '$dir' .")
    local kruns=3
    [ $((end - start)) -gt 60 ] && kruns=1
    theirs=$(median_seconds "$kruns" "cd '$root' && timeout $kubectl_timeout kubectl kustomize '$dir'")
    ratio=$(python3 -c "print('%.0fx' % ($theirs / $ours))" 2>/dev/null || echo "-")
    echo "| $name | $resources | $(python3 -c "print('%.1f ms' % ($ours * 1000))") | $(python3 -c "print('%.2f s' % $theirs)") | $ratio | $same |"
}

echo "| case | resources | gitops-rs (median) | kubectl kustomize (median) | ratio | identical output |"
echo "|---|---:|---:|---:|---:|---|"

corpus=$shared/corpus
if [ -d "$corpus" ]; then
    for case in "$corpus"/kustomize-*; do
        entry=$(sed -n 's/^entry = "\(.*\)"/\1/p' "$case/case.toml")
        docs=$(grep -c '^kind:' "$case/expected.yaml" || true)
        compare "$(basename "$case")" "$docs" "$case/input" "${entry#input/}"
    done
    gitops=$corpus/gitops-flux2-kustomize-helm-example
    for path in $(awk '/^\[\[entries\]\]/{k=""} /^kind = "kustomize"/{k=1} k && /^path = /{gsub(/"/,"",$3); print $3}' "$gitops/case.toml"); do
        out=$(grep -A20 "path = \"$path\"" "$gitops/case.toml" | sed -n 's/^expected = "\(.*\)"/\1/p' | head -1)
        docs=$(grep -c '^kind:' "$gitops/$out" || true)
        compare "flux2-example ${path#input/}" "$docs" "$gitops/input" "${path#input/}"
    done
else
    echo "(corpus not found at $corpus: skipped)" >&2
fi

sizes="500:0 1000:0"
[ "$quick" = "--quick" ] || sizes="$sizes 2000:0 2000:50"
for size in $sizes; do
    deployments=${size%:*}
    patches=${size#*:}
    dir=$work/gen-$deployments-$patches
    python3 "$shared/bench/gen_kustomize_overlay.py" "$dir" --deployments "$deployments" --patches "$patches" >/dev/null
    overlay=overlay-nopatch
    label="generated overlay"
    if [ "$patches" -gt 0 ]; then
        overlay=overlay
        label="generated overlay, $patches patches"
    fi
    compare "$label" "$((deployments * 2))" "$dir" "$overlay"
done
