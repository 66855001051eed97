//! Writing objects exactly as `kubectl kustomize` prints them.
//!
//! kustomize prints every object through Go's `gopkg.in/yaml.v2` (by way of JSON), so the
//! style is that library's: keys sorted in its "natural" order (digits compared as numbers,
//! non-letters before letters), block style with sequences not indented under their key,
//! `{}` and `[]` for empty collections, strings quoted only when YAML 1.1 would read them as
//! something else (`"yes"`, `"0755"`, `"12:30:00"`) or when a plain scalar cannot hold them
//! (`'#x'`, `'a: b'`), multi-line strings as literal blocks (`|`, `|-`, `|+`), and long
//! lines folded at 80 columns. Documents are separated by `---`.
//!
//! ```
//! use gitops_core::Object;
//! use serde_json::json;
//!
//! let cm = Object::new(json!({
//!     "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"},
//!     "data": {"on": "yes", "script": "echo hi\n", "x": "#1", "empty": {}},
//! }))?;
//! assert_eq!(
//!     gitops_render::kustomize::yaml::to_string(&[cm]),
//!     "apiVersion: v1\ndata:\n  empty: {}\n  \"on\": \"yes\"\n  script: |\n    echo hi\n  x: '#1'\nkind: ConfigMap\nmetadata:\n  name: a\n"
//! );
//! # Ok::<(), gitops_core::ObjectError>(())
//! ```

mod keys;
mod numbers;
mod scalar;

use gitops_core::Object;
use serde_json::{Map, Value};

use keys::sort_keys;
use numbers::number;
use scalar::{analyze, is_break, is_printable, resolves_to_string};

/// Writes objects as one YAML stream separated by `---`, in kustomize's style.
pub fn to_string(objects: &[Object]) -> String {
    let mut out = String::new();
    for (i, object) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&value_to_string(object.manifest()));
    }
    out
}

/// Writes one value as a YAML document in kustomize's style.
///
/// ```
/// use serde_json::json;
///
/// let doc = json!({"b": [1, {"y": "0755", "x": "a\nb"}], "a": "12:30"});
/// assert_eq!(
///     gitops_render::kustomize::yaml::value_to_string(&doc),
///     "a: \"12:30\"\nb:\n- 1\n- x: |-\n    a\n    b\n  \"y\": \"0755\"\n"
/// );
/// ```
pub fn value_to_string(value: &Value) -> String {
    let mut w = Writer {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
    };
    match value {
        Value::Object(map) if !map.is_empty() => w.block_mapping(map, 0),
        Value::Array(items) if !items.is_empty() => w.block_sequence(items, 0),
        other => {
            w.node(other, 0, false);
        }
    }
    if w.column > 0 {
        w.out.push('\n');
    }
    w.out
}

/// The width at which yaml.v2 folds long scalars.
const BEST_WIDTH: usize = 80;
/// Keys longer than this are written as complex keys (`? key`).
const MAX_SIMPLE_KEY: usize = 128;

struct Writer {
    out: String,
    /// Characters written on the current line.
    column: usize,
    /// The last thing written was whitespace (or nothing).
    whitespace: bool,
    /// Only indentation has been written on the current line.
    indention: bool,
}

impl Writer {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn indicator(
        &mut self,
        s: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in s.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn block_mapping(&mut self, map: &Map<String, Value>, indent: usize) {
        let mut keys: Vec<&String> = map.keys().collect();
        sort_keys(&mut keys);
        for key in keys {
            let value = &map[key];
            self.write_indent(indent);
            let analysis = analyze(key);
            if key.chars().count() <= MAX_SIMPLE_KEY && !analysis.multiline {
                self.string(key, indent, true);
                self.indicator(":", false, false, false);
            } else {
                self.indicator("?", true, false, true);
                self.string(key, indent, false);
                self.write_indent(indent);
                self.indicator(":", true, false, true);
            }
            self.node(value, indent, true);
        }
    }

    fn block_sequence(&mut self, items: &[Value], indent: usize) {
        for item in items {
            self.write_indent(indent);
            self.indicator("-", true, false, true);
            self.node(item, indent, false);
        }
    }

    /// A node under a mapping key (`in_mapping`) or a sequence item, whose parent collection
    /// is at `indent`.
    fn node(&mut self, value: &Value, indent: usize, in_mapping: bool) {
        match value {
            Value::Object(map) if map.is_empty() => {
                self.indicator("{", true, true, false);
                self.indicator("}", false, false, false);
            }
            Value::Object(map) => self.block_mapping(map, indent + 2),
            Value::Array(items) if items.is_empty() => {
                self.indicator("[", true, true, false);
                self.indicator("]", false, false, false);
            }
            Value::Array(items) => {
                // yaml.v2 does not indent a sequence under a mapping key.
                let seq_indent = if in_mapping && !self.indention {
                    indent
                } else {
                    indent + 2
                };
                self.block_sequence(items, seq_indent);
            }
            Value::Null => self.plain("null", indent + 2, true),
            Value::Bool(b) => self.plain(if *b { "true" } else { "false" }, indent + 2, true),
            Value::Number(n) => self.plain(&number(n), indent + 2, true),
            Value::String(s) => self.string(s, indent + 2, false),
        }
    }

    /// A string scalar; `indent` is the scalar's own indentation (for folded lines).
    fn string(&mut self, s: &str, indent: usize, simple_key: bool) {
        let a = analyze(s);
        let style = if s.contains('\n') {
            if a.block_allowed && !simple_key && !a.special {
                Style::Literal
            } else {
                Style::Double
            }
        } else if !resolves_to_string(s) {
            Style::Double
        } else if !a.block_plain_allowed {
            if a.single_quoted_allowed {
                Style::Single
            } else {
                Style::Double
            }
        } else {
            Style::Plain
        };
        let style = if simple_key && a.multiline {
            Style::Double
        } else {
            style
        };
        match style {
            Style::Plain => self.plain(s, indent, !simple_key),
            Style::Single => self.single_quoted(s, indent, !simple_key),
            Style::Double => self.double_quoted(s, indent, !simple_key),
            Style::Literal => self.literal(s, indent),
        }
    }

    fn plain(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_space {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn single_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.indicator("'", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < chars.len()
                    && !next_space
                {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn double_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.indicator("\"", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{07}' => self.put('a'),
                    '\u{08}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{0B}' => self.put('v'),
                    '\u{0C}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1B}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{A0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    other => {
                        let v = other as u32;
                        let (letter, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(letter);
                        for k in (0..width).rev() {
                            let digit = (v >> (k * 4)) & 0xF;
                            let ch =
                                char::from_digit(digit, 16).map_or('0', |d| d.to_ascii_uppercase());
                            self.put(ch);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < chars.len()
                {
                    self.write_indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.indicator("|", true, false, false);
        let first = s.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.indicator("2", false, false, false);
        }
        let mut rev = s.chars().rev();
        let last = rev.next();
        let chomp = match last {
            None => Some('-'),
            Some(c) if !is_break(c) => Some('-'),
            Some(_) => match rev.next() {
                None => Some('+'),
                Some(c) if is_break(c) => Some('+'),
                Some(_) => None,
            },
        };
        if let Some(c) = chomp {
            self.indicator(&c.to_string(), false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in s.chars() {
            if is_break(c) {
                self.out.push(c);
                self.column = 0;
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

#[cfg(test)]
mod tests {
    use super::numbers::go_format_g;
    use super::*;
    use serde_json::json;

    /// The output of `kubectl kustomize` (kustomize v5.5.0) for these values.
    #[test]
    fn matches_kubectl() {
        let value = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "x"},
            "data": {
                "a": "yes", "b": 493, "c": "on", "d": 1000, "e": 9, "f": 31, "g": null,
                "h": "long string with spaces that goes on and on and on beyond eighty characters in width for sure yes",
                "i": "multi\nline\n", "j": "trailing\nno newline", "k": 1, "l": "12:30:00",
                "m": "2001-12-14T00:00:00Z", "n": "true", "o": "", "p": "  leading", "q": "a: b",
                "r": "- x", "s": "#x", "t": "012", "u": "1.5", "v": null, "w": "null", "x": "é ü",
                "y": "tab\there", "z": "Y"
            },
            "spec": {
                "items": [1, 2.5, -3, 1e20, 15, 12, 0.5],
                "nested": {"b": 1, "a": 2, "_x": 3, "A": 4, "a10": 5, "a9": 6, "~z": 7, "1": 8, "10": 9, "9": 10}
            }
        });
        let expected = r#"apiVersion: v1
data:
  a: "yes"
  b: 493
  c: "on"
  d: 1000
  e: 9
  f: 31
  g: null
  h: long string with spaces that goes on and on and on beyond eighty characters in
    width for sure yes
  i: |
    multi
    line
  j: |-
    trailing
    no newline
  k: 1
  l: "12:30:00"
  m: "2001-12-14T00:00:00Z"
  "n": "true"
  o: ""
  p: '  leading'
  q: 'a: b'
  r: '- x'
  s: '#x'
  t: "012"
  u: "1.5"
  v: null
  w: "null"
  x: é ü
  "y": "tab\there"
  z: "Y"
kind: ConfigMap
metadata:
  name: x
spec:
  items:
  - 1
  - 2.5
  - -3
  - 1e+20
  - 15
  - 12
  - 0.5
  nested:
    _x: 3
    ~z: 7
    "1": 8
    "9": 10
    "10": 9
    A: 4
    a: 2
    a9: 6
    a10: 5
    b: 1
"#;
        assert_eq!(value_to_string(&value), expected);
    }

    #[test]
    fn nested_sequences_and_empty_collections() {
        let value = json!({"a": [[1, 2], {"b": [], "c": {}}, [{"d": 1, "e": 2}]]});
        assert_eq!(
            value_to_string(&value),
            "a:\n- - 1\n  - 2\n- b: []\n  c: {}\n- - d: 1\n    e: 2\n"
        );
    }

    /// Found by comparing random strings with kubectl: `<<` stays plain, a no-break space
    /// is written as is, a 4-byte character is escaped, and quotes fold at 80 columns.
    #[test]
    fn random_string_regressions() {
        let value =
            json!({"a": "<<", "b": "x\u{a0}y\u{1F600}\tz", "c": format!("#{}", " w".repeat(50))});
        let out = value_to_string(&value);
        assert!(
            out.starts_with("a: <<\nb: \"x\u{a0}y\\U0001F600\\tz\"\nc: '# w w"),
            "{out}"
        );
        assert!(out.contains("w w\n  w w"), "{out}");
    }

    #[test]
    fn floats_as_go_prints_them() {
        assert_eq!(go_format_g(1234567.5), "1.2345675e+06");
        assert_eq!(go_format_g(123456.5), "123456.5");
        assert_eq!(go_format_g(0.0001), "0.0001");
        assert_eq!(go_format_g(0.00001), "1e-05");
        assert_eq!(go_format_g(-2.5), "-2.5");
    }
}
