//! `.helmignore`: Helm's ignore rules (`pkg/ignore`) with Go's `filepath.Match` patterns.

/// One rule of a `.helmignore` file.
#[derive(Debug, Clone)]
struct Pattern {
    rule: String,
    /// The rule has no `*`, `?`, `[` or `\\`: it matches only itself.
    literal: bool,
    /// The rule is `*` and a literal (`*.bak`): a name ending so, without `/` before.
    suffix: bool,
    negate: bool,
    must_dir: bool,
    kind: MatchKind,
}

#[derive(Debug, Clone, Copy)]
enum MatchKind {
    /// `/foo`: the whole path, from the root.
    Rooted,
    /// `a/b*`: the whole path.
    Structural,
    /// `*.txt`: the base name only.
    BaseName,
}

/// The ignore rules of a chart directory, evaluated as Helm evaluates them.
///
/// ```
/// use gitops_render::helm::IgnoreRules;
/// let rules = IgnoreRules::parse("# comment\n*.md\n/ci/\n", ".helmignore").unwrap();
/// assert!(rules.ignore("README.md", false));
/// assert!(rules.ignore("docs/x.md", false));
/// assert!(rules.ignore("ci", true));
/// assert!(!rules.ignore("templates/ci", true));
/// assert!(rules.ignore("templates/.hidden.yaml", false)); // Helm's default rule
/// ```
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
}

impl IgnoreRules {
    /// The rules of a `.helmignore` text plus Helm's default (`templates/.?*`).
    ///
    /// An invalid rule (one with `**`, or a malformed pattern) is an error naming `file`.
    pub fn parse(text: &str, file: &str) -> Result<IgnoreRules, String> {
        let mut r = IgnoreRules::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for line in text.lines() {
            r.add(line).map_err(|e| format!("{file}: {e}"))?;
        }
        r.add_defaults();
        Ok(r)
    }

    /// Only Helm's default rule (`templates/.?*`: dot files in `templates/`).
    pub fn defaults() -> IgnoreRules {
        let mut r = IgnoreRules::default();
        r.add_defaults();
        r
    }

    fn add_defaults(&mut self) {
        // cannot fail: a fixed, valid pattern
        let _ = self.add("templates/.?*");
    }

    fn add(&mut self, rule: &str) -> Result<(), String> {
        let rule = rule.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".into());
        }
        if go_match(rule, "abc").is_err() {
            return Err("syntax error in pattern".into());
        }
        let (negate, body) = match rule.strip_prefix('!') {
            Some(b) => (true, b),
            None => (false, rule),
        };
        let (must_dir, body) = match body.strip_suffix('/') {
            Some(b) => (true, b),
            None => (false, body),
        };
        let (kind, body) = if let Some(b) = body.strip_prefix('/') {
            (MatchKind::Rooted, b)
        } else if body.contains('/') {
            (MatchKind::Structural, body)
        } else {
            (MatchKind::BaseName, body)
        };
        self.patterns.push(Pattern {
            literal: !body.contains(['*', '?', '[', '\\']),
            suffix: body
                .strip_prefix('*')
                .is_some_and(|rest| !rest.contains(['*', '?', '[', '\\'])),
            rule: body.to_string(),
            negate,
            must_dir,
            kind,
        });
        Ok(())
    }

    /// Whether `path` (relative, `/`-separated) is ignored; `is_dir` tells a directory.
    ///
    /// As in Helm, rules are tried in order and the first match decides; a negated rule
    /// that does not match ignores the path.
    pub fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for p in &self.patterns {
            let matches = || {
                let name = match p.kind {
                    MatchKind::Rooted | MatchKind::Structural => path,
                    MatchKind::BaseName => base_name(path),
                };
                if p.literal {
                    return p.rule == name;
                }
                if p.suffix {
                    let tail = &p.rule[1..];
                    return name
                        .strip_suffix(tail)
                        .is_some_and(|head| !head.contains('/'));
                }
                go_match(&p.rule, name).unwrap_or(false)
            };
            if p.negate {
                if p.must_dir && !is_dir {
                    return true;
                }
                if !matches() {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if matches() {
                return true;
            }
        }
        false
    }
}

/// Go's `filepath.Base` for a `/`-separated relative path.
fn base_name(path: &str) -> &str {
    let p = path.trim_end_matches('/');
    if p.is_empty() {
        return "/";
    }
    p.rsplit('/').next().unwrap_or(p)
}

/// Go's `ErrBadPattern`: a malformed pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern;

impl std::fmt::Display for BadPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("syntax error in pattern")
    }
}

impl std::error::Error for BadPattern {}

/// Go's `filepath.Match` (Unix separators): `*`, `?`, `[...]` classes with ranges and `^`
/// negation, `\` escapes. An `Err` is Go's `ErrBadPattern`.
///
/// ```
/// use gitops_render::helm::go_match;
/// assert_eq!(go_match("*.yaml", "a.yaml"), Ok(true));
/// assert_eq!(go_match("*.yaml", "d/a.yaml"), Ok(false));
/// assert_eq!(go_match("[^a]?", "bc"), Ok(true));
/// assert!(go_match("[", "x").is_err());
/// ```
pub fn go_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern = pattern;
    let mut name = name;
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // a trailing * matches the rest unless it has a separator
            return Ok(!name.contains('/'));
        }
        // a match at the current position; the last chunk must exhaust the name
        let here = match_chunk(chunk, name);
        if let Ok(Some(t)) = here
            && (t.is_empty() || !pattern.is_empty())
        {
            name = t;
            continue;
        }
        here?;
        if star {
            // a match after skipping characters, never a separator
            let mut i = 0;
            while i < name.len() && name.as_bytes()[i] != b'/' {
                i += name[i..].chars().next().map_or(1, char::len_utf8);
                match match_chunk(chunk, &name[i..])? {
                    Some(t) if pattern.is_empty() && !t.is_empty() => continue,
                    Some(t) => {
                        name = t;
                        continue 'pattern;
                    }
                    None => {}
                }
            }
        }
        // Go checks the rest of the pattern for syntax errors before failing
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, "")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Splits off the next `*`-separated chunk: (had leading stars, chunk, rest).
fn scan_chunk(mut pattern: &str) -> (bool, &str, &str) {
    let mut star = false;
    while let Some(p) = pattern.strip_prefix('*') {
        pattern = p;
        star = true;
    }
    let b = pattern.as_bytes();
    let mut in_range = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if i + 1 < b.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// Matches `chunk` (no `*`) against the start of `s`; returns the rest of `s`.
fn match_chunk<'a>(chunk: &str, s: &'a str) -> Result<Option<&'a str>, BadPattern> {
    let mut chunk = chunk;
    let mut s = s;
    let mut failed = false;
    while !chunk.is_empty() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match chunk.as_bytes()[0] {
            b'[' => {
                let mut r = '\0';
                if !failed {
                    let c = s.chars().next().unwrap_or('\0');
                    s = &s[c.len_utf8()..];
                    r = c;
                }
                chunk = &chunk[1..];
                let negated = chunk.starts_with('^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if !chunk.is_empty() && chunk.as_bytes()[0] == b']' && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if let Some(rest) = chunk.strip_prefix('-') {
                        let (h, rest) = get_esc(rest)?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    let c = s.chars().next().unwrap_or('\0');
                    if c == '/' {
                        failed = true;
                    }
                    s = &s[c.len_utf8().min(s.len())..];
                }
                chunk = &chunk[1..];
            }
            // A literal character, or an escaped one.
            first => {
                if first == b'\\' {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return Err(BadPattern);
                    }
                }
                let c = chunk.chars().next().unwrap_or('\0');
                if !failed {
                    if !s.starts_with(c) {
                        failed = true;
                    } else {
                        s = &s[c.len_utf8()..];
                    }
                }
                chunk = &chunk[c.len_utf8()..];
            }
        }
    }
    if failed {
        return Ok(None);
    }
    Ok(Some(s))
}

/// One (possibly escaped) character of a class.
fn get_esc(chunk: &str) -> Result<(char, &str), BadPattern> {
    let b = chunk.as_bytes();
    if b.is_empty() || b[0] == b'-' || b[0] == b']' {
        return Err(BadPattern);
    }
    let mut chunk = chunk;
    if b[0] == b'\\' {
        chunk = &chunk[1..];
        if chunk.is_empty() {
            return Err(BadPattern);
        }
    }
    let c = chunk.chars().next().ok_or(BadPattern)?;
    let rest = &chunk[c.len_utf8()..];
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((c, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_match_cases() {
        // from Go's filepath match tests
        let cases: &[(&str, &str, Result<bool, BadPattern>)] = &[
            ("abc", "abc", Ok(true)),
            ("*", "abc", Ok(true)),
            ("*c", "abc", Ok(true)),
            ("a*", "a", Ok(true)),
            ("a*", "abc", Ok(true)),
            ("a*", "ab/c", Ok(false)),
            ("a*/b", "abc/b", Ok(true)),
            ("a*/b", "a/c/b", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
            ("a*b?c*x", "abxbbxdbxebxczzy", Ok(false)),
            ("ab[c]", "abc", Ok(true)),
            ("ab[b-d]", "abc", Ok(true)),
            ("ab[e-g]", "abc", Ok(false)),
            ("ab[^c]", "abc", Ok(false)),
            ("ab[^b-d]", "abc", Ok(false)),
            ("ab[^e-g]", "abc", Ok(true)),
            ("a\\*b", "a*b", Ok(true)),
            ("a\\*b", "ab", Ok(false)),
            ("a?b", "a☺b", Ok(true)),
            ("a[^a]b", "a☺b", Ok(true)),
            ("a???b", "a☺b", Ok(false)),
            ("a[^a][^a][^a]b", "a☺b", Ok(false)),
            ("[a-ζ]*", "α", Ok(true)),
            ("*[a-ζ]", "A", Ok(false)),
            ("a?b", "a/b", Ok(false)),
            ("a*b", "a/b", Ok(false)),
            ("[\\]a]", "]", Ok(true)),
            ("[\\-]", "-", Ok(true)),
            ("[x\\-]", "x", Ok(true)),
            ("[x\\-]", "-", Ok(true)),
            ("[x\\-]", "z", Ok(false)),
            ("[\\-x]", "x", Ok(true)),
            ("[\\-x]", "-", Ok(true)),
            ("[\\-x]", "a", Ok(false)),
            ("[]a]", "]", Err(BadPattern)),
            ("[-]", "-", Err(BadPattern)),
            ("[x-]", "x", Err(BadPattern)),
            ("[x-]", "-", Err(BadPattern)),
            ("[x-]", "z", Err(BadPattern)),
            ("[-x]", "x", Err(BadPattern)),
            ("[-x]", "-", Err(BadPattern)),
            ("[-x]", "a", Err(BadPattern)),
            ("\\", "a", Err(BadPattern)),
            ("[a-b-c]", "a", Err(BadPattern)),
            ("[", "a", Err(BadPattern)),
            ("[^", "a", Err(BadPattern)),
            ("[^bc", "a", Err(BadPattern)),
            ("a[", "a", Err(BadPattern)),
            ("a[", "ab", Err(BadPattern)),
            ("a[", "x", Err(BadPattern)),
            ("a/b[", "x", Err(BadPattern)),
            ("*x", "xxx", Ok(true)),
        ];
        for (p, s, want) in cases {
            assert_eq!(go_match(p, s), *want, "pattern {p:?} name {s:?}");
        }
    }

    #[test]
    fn fast_paths_agree_with_go_match() {
        let patterns = ["*.bak", "*~", "a.txt", "*x", "*/b", "c/a.txt", "*", "x"];
        let names = [
            "x.bak",
            "a/x.bak",
            "bak",
            ".bak",
            "x~",
            "a.txt",
            "c/a.txt",
            "d/c/a.txt",
            "xxx",
            "a/b",
            "a/c/b",
            "b",
            "x",
            "a/x",
        ];
        for p in patterns {
            let rules = IgnoreRules::parse(p, "x").unwrap();
            for n in names {
                let target = if p.contains('/') { n } else { base_name(n) };
                assert_eq!(
                    rules.ignore(n, false),
                    go_match(p, target).unwrap(),
                    "pattern {p:?} name {n:?}"
                );
            }
        }
    }

    #[test]
    fn negation_quirk() {
        // Helm: a negated rule that does not match ignores the path
        let r = IgnoreRules::parse("!keep.txt\n", "x").unwrap();
        assert!(r.ignore("other.txt", false));
        assert!(!r.ignore("keep.txt", false));
    }
}
