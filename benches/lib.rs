//! Benchmarks of gitops-rs live beside this file; run them with `cargo bench -p gitops-benches`.
