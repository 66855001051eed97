//! gitops-apply
