//! End-to-end tests of gitops-rs, one file per user story under `tests/e2e_*.rs`.
