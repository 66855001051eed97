//! Integration tests of the simulated API server over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod apply;
mod deletion;
mod discovery;
mod faults_auth;
mod kubectl;
mod simulation;
mod state;
mod support;
mod typed;
mod watch;
