//! gitops-source
