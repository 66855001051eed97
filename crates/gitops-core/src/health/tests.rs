//! Every fixture in `testdata/` starts with `# expect: <Status>[: <message>]`.

use std::fs;
use std::path::Path;

use super::*;

#[test]
fn fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/health/testdata");
    let mut count = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap();
        let expect = first
            .strip_prefix("# expect: ")
            .unwrap_or_else(|| panic!("{}: no expectation", path.display()));
        let object = crate::yaml::parse_value(&text).unwrap();
        assert_eq!(assess(&object).to_string(), expect, "{}", path.display());
        count += 1;
    }
    assert!(count >= 20, "only {count} fixtures");
}

#[test]
fn display() {
    assert_eq!(Health::current().to_string(), "Current");
    assert_eq!(Health::new(Status::Failed, "x").to_string(), "Failed: x");
}
