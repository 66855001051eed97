//! Curated differential cases: our output against Helm v4's, snapshotted in
//! `tests/fixtures/differential.json` (regenerate with `tests/oracle/helm_oracle.py --regen`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Outcome, engine, load_fixture, oracle, oracle_available, render};

#[test]
fn curated_cases_match_helm() {
    let engine = engine();
    let cases = load_fixture();
    let mut failures = Vec::new();
    for c in &cases {
        let got = render(&engine, c);
        let want = c.expect.clone().unwrap_or(Outcome {
            ok: None,
            err: None,
        });
        if got != want {
            failures.push(format!(
                "--- {}\n template: {:?}\n want: {:?}\n got:  {:?}",
                c.name, c.template, want, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Helm:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn fixture_is_current_with_live_helm() {
    if let Err(reason) = oracle_available() {
        println!("skipping live Helm check: {reason}");
        return;
    }
    let cases = load_fixture();
    let live = oracle(&cases);
    let stale: Vec<&str> = cases
        .iter()
        .zip(&live)
        .filter(|(c, l)| c.expect.as_ref() != Some(*l))
        .map(|(c, _)| c.name.as_str())
        .collect();
    assert!(
        stale.is_empty(),
        "fixture differs from live Helm for {stale:?}; regenerate it"
    );
}
