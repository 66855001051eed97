//! Random templates over random values, rendered by our engine and by real Helm v4 (one
//! oracle call for the whole batch). Skips with a printed reason without the Helm SDK.
//! Every mismatch found this way becomes a case in `tests/oracle/cases.yaml`. The top-level
//! `.` is not printed whole: Helm prints `.Capabilities` there as a pointer address.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Case, engine, oracle, oracle_available, render};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const KEYS: &[&str] = &["a", "b", "n", "s", "l", "m"];

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        (-5i64..2_000_000).prop_map(|i| serde_json::json!(i)),
        prop_oneof![
            Just(0.5),
            Just(1.25),
            Just(1e6),
            Just(123456789.0),
            Just(-2.5),
            Just(1e-7)
        ]
        .prop_map(|f| serde_json::json!(f)),
        prop_oneof![
            Just(""),
            Just("x"),
            Just("a b"),
            Just("yes"),
            Just("1.0"),
            Just("a: b"),
            Just("multi\nline"),
            Just("Ünï"),
            Just("true")
        ]
        .prop_map(|s| serde_json::json!(s)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop::sample::select(KEYS).prop_map(str::to_string),
                inner,
                0..4
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(KEYS), 1..4)
        .prop_map(|ks| format!(".Values.{}", ks.join(".")))
}

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => path(),
        1 => (0i32..20).prop_map(|i| i.to_string()),
        1 => Just("1.5".to_string()),
        1 => prop::sample::select(vec!["\"x\"", "\"a b\"", "\"\"", "\"7\""]).prop_map(str::to_string),
        1 => prop::sample::select(vec!["true", "false", "nil", ".Values"]).prop_map(str::to_string),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    atom().prop_recursive(2, 12, 3, |inner| {
        let unary = prop::sample::select(vec![
            "upper",
            "lower",
            "quote",
            "squote",
            "toString",
            "len",
            "not",
            "toJson",
            "toYaml",
            "empty",
            "typeOf",
            "kindOf",
            "int",
            "float64",
            "trim",
            "first",
            "keys",
            "b64enc",
            "sha256sum",
            "toStrings",
            "print",
            "title",
            "nindent 2",
            "indent 1",
            "default \"d\"",
            "trunc 3",
            "int64",
            "add1",
            "html",
            "js",
            "urlquery",
            "len",
            "compact",
            "uniq",
            "sortAlpha",
        ]);
        let binary = prop::sample::select(vec![
            "eq",
            "ne",
            "lt",
            "ge",
            "and",
            "or",
            "add",
            "max",
            "list",
            "printf \"%v-%v\"",
            "index",
            "join",
            "has",
            "cat",
            "coalesce",
            "ternary \"y\" \"n\" true |",
            "dict \"k\"",
            "hasKey",
            "get",
            "contains",
            "hasPrefix",
            "replace \"a\"",
            "repeat",
            "sub",
            "mul",
            "mod",
            "concat",
            "append",
            "without",
            "pluck \"a\"",
            "merge",
            "semverCompare",
            "regexMatch",
        ]);
        prop_oneof![
            (unary, inner.clone()).prop_map(|(f, a)| format!("({f} {a})")),
            (binary, inner.clone(), inner.clone()).prop_map(|(f, a, b)| {
                if f.ends_with('|') {
                    format!("({a} | {})", f.trim_end_matches(" |"))
                } else {
                    format!("({f} {a} {b})")
                }
            }),
            (
                inner.clone(),
                prop::sample::select(vec![
                    "upper",
                    "quote",
                    "len",
                    "toString",
                    "default \"z\"",
                    "toJson"
                ])
            )
                .prop_map(|(a, f)| format!("({a} | {f})")),
        ]
    })
}

fn template() -> impl Strategy<Value = String> {
    let action = prop_oneof![
        3 => expr().prop_map(|e| format!("{{{{ {e} }}}}")),
        1 => (expr(), expr()).prop_map(|(c, e)| format!("{{{{ if {c} }}}}T{{{{ {e} }}}}{{{{ else }}}}F{{{{ end }}}}")),
        1 => expr().prop_map(|e| format!("{{{{ range $i, $v := {e} }}}}{{{{ $i }}}}={{{{ $v }}}};{{{{ else }}}}E{{{{ end }}}}")),
        1 => expr().prop_map(|e| format!("{{{{ with {e} }}}}[{{{{ . }}}}]{{{{ end }}}}")),
        1 => expr().prop_map(|e| format!("{{{{- $x := {e} }}}} {{{{ $x }}}}")),
    ];
    prop::collection::vec(action, 1..4).prop_map(|v| v.join("|"))
}

#[test]
fn random_templates_match_helm() {
    if let Err(reason) = oracle_available() {
        println!("skipping differential proptest: {reason}");
        return;
    }
    let cases_n: usize = std::env::var("GOTEMPLATE_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("GOTEMPLATE_PROPTEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &{
            let mut s = [0u8; 32];
            s[..8].copy_from_slice(&seed.to_le_bytes());
            s
        }),
    );
    let values = prop::collection::btree_map(
        prop::sample::select(KEYS).prop_map(str::to_string),
        json_value(),
        0..6,
    )
    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()));
    let strategy = (template(), values);
    let cases: Vec<Case> = (0..cases_n)
        .map(|i| {
            let (t, v) = strategy.new_tree(&mut runner).unwrap().current();
            Case {
                name: format!("p{i}"),
                template: t,
                values: Some(v),
                extra: Default::default(),
                files: Default::default(),
                expect: None,
            }
        })
        .collect();
    let live = oracle(&cases);
    let engine = engine();
    let mut mismatches = Vec::new();
    for (c, want) in cases.iter().zip(&live) {
        let got = render(&engine, c);
        if &got != want {
            mismatches.push(format!(
                "- name: {}\n  template: {:?}\n  values: {}\n  # helm: {:?}\n  # ours: {:?}",
                c.name,
                c.template,
                serde_json::to_string(c.values.as_ref().unwrap()).unwrap(),
                want,
                got
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} random cases differ from Helm (seed {seed}):\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}
