#!/bin/sh
# Git source benchmark: gitops-source vs the git CLI on a generated repository of 20,000 commits
# and 5,000 files (generated once with `git fast-import`, cached in $TMPDIR/gitops-git-bench),
# over file://, git daemon and smart HTTP on 127.0.0.1. Prints medians and ratios ours / git.
#
#   benches/git/run.sh [ROUNDS]      (default 7)
set -eu
cd "$(dirname "$0")/../.."
cargo run --release -q -p gitops-source --features test-support --example git_bench -- "${1:-7}"
