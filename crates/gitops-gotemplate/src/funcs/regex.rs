//! Sprig's regular expression functions (Go RE2 semantics via the `regex` crate).

use super::{ArgType::*, FuncMap, arg_int, arg_str, ferr, reg};
use crate::error::Error;
use crate::value::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

fn cache() -> &'static Mutex<HashMap<String, Arc<regex::Regex>>> {
    static C: OnceLock<Mutex<HashMap<String, Arc<regex::Regex>>>> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Compiles (and caches) a Go regular expression.
pub(crate) fn compile(re: &str) -> Result<Arc<regex::Regex>, String> {
    if let Some(r) = cache().lock().ok().and_then(|c| c.get(re).cloned()) {
        return Ok(r);
    }
    let r = regex::Regex::new(re).map_err(|e| {
        let detail = e.to_string();
        let last = detail
            .lines()
            .rfind(|l| l.starts_with("error:"))
            .unwrap_or("")
            .trim_start_matches("error: ");
        format!("error parsing regexp: {last}: `{re}`")
    })?;
    let r = Arc::new(r);
    if let Ok(mut c) = cache().lock()
        && c.len() < 1024
    {
        c.insert(re.to_string(), r.clone());
    }
    Ok(r)
}

fn must_compile(re: &str) -> Result<Arc<regex::Regex>, Error> {
    compile(re).map_err(|e| ferr(format!("regexp: Compile({}): {e}", go_backquote(re))))
}

fn go_backquote(s: &str) -> String {
    if s.contains('`') {
        super::strings::go_quote(s, false)
    } else {
        format!("`{s}`")
    }
}

fn find_all(r: &regex::Regex, s: &str, n: i64) -> Vec<(usize, usize)> {
    if n == 0 {
        return vec![];
    }
    let mut out = Vec::new();
    for m in r.find_iter(s) {
        if n > 0 && out.len() as i64 >= n {
            break;
        }
        out.push((m.start(), m.end()));
    }
    out
}

fn split(r: &regex::Regex, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return vec![];
    }
    if !r.as_str().is_empty() && s.is_empty() {
        return vec![String::new()];
    }
    let matches = find_all(r, s, n);
    let mut out = Vec::new();
    let mut beg = 0;
    let mut end = 0;
    for (a, b) in matches {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = a;
        if b != 0 {
            out.push(s[beg..end].to_string());
        }
        beg = b;
    }
    if end != s.len() {
        out.push(s[beg..].to_string());
    }
    out
}

/// Go's `regexp.QuoteMeta`.
fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Go's `Regexp.Expand` template syntax is the same as the regex crate's `$name`/`${name}`.
fn replace_all(r: &regex::Regex, s: &str, repl: &str, literal: bool) -> String {
    if literal {
        r.replace_all(s, regex::NoExpand(repl)).into_owned()
    } else {
        r.replace_all(s, repl).into_owned()
    }
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "regexMatch", &[Text, Text], |a| {
        Ok(Value::Bool(
            compile(arg_str(&a[0])).is_ok_and(|r| r.is_match(arg_str(&a[1]))),
        ))
    });
    reg(m, "mustRegexMatch", &[Text, Text], |a| {
        let r = compile(arg_str(&a[0])).map_err(ferr)?;
        Ok(Value::Bool(r.is_match(arg_str(&a[1]))))
    });
    let find_all_fn = |must: bool| {
        move |a: &[Value]| {
            let r = if must {
                compile(arg_str(&a[0])).map_err(ferr)?
            } else {
                must_compile(arg_str(&a[0]))?
            };
            let s = arg_str(&a[1]);
            let v: Vec<String> = find_all(&r, s, arg_int(&a[2]))
                .into_iter()
                .map(|(x, y)| s[x..y].to_string())
                .collect();
            Ok(Value::string_list(v))
        }
    };
    reg(m, "regexFindAll", &[Text, Text, Int], find_all_fn(false));
    reg(m, "mustRegexFindAll", &[Text, Text, Int], find_all_fn(true));
    let find = |must: bool| {
        move |a: &[Value]| {
            let r = if must {
                compile(arg_str(&a[0])).map_err(ferr)?
            } else {
                must_compile(arg_str(&a[0]))?
            };
            Ok(Value::str(
                r.find(arg_str(&a[1])).map_or("", |m| m.as_str()),
            ))
        }
    };
    reg(m, "regexFind", &[Text, Text], find(false));
    reg(m, "mustRegexFind", &[Text, Text], find(true));
    let repl = |must: bool, literal: bool| {
        move |a: &[Value]| {
            let r = if must {
                compile(arg_str(&a[0])).map_err(ferr)?
            } else {
                must_compile(arg_str(&a[0]))?
            };
            Ok(Value::from(replace_all(
                &r,
                arg_str(&a[1]),
                arg_str(&a[2]),
                literal,
            )))
        }
    };
    reg(
        m,
        "regexReplaceAll",
        &[Text, Text, Text],
        repl(false, false),
    );
    reg(
        m,
        "mustRegexReplaceAll",
        &[Text, Text, Text],
        repl(true, false),
    );
    reg(
        m,
        "regexReplaceAllLiteral",
        &[Text, Text, Text],
        repl(false, true),
    );
    reg(
        m,
        "mustRegexReplaceAllLiteral",
        &[Text, Text, Text],
        repl(true, true),
    );
    let spl = |must: bool| {
        move |a: &[Value]| {
            let r = if must {
                compile(arg_str(&a[0])).map_err(ferr)?
            } else {
                must_compile(arg_str(&a[0]))?
            };
            Ok(Value::string_list(split(
                &r,
                arg_str(&a[1]),
                arg_int(&a[2]),
            )))
        }
    };
    reg(m, "regexSplit", &[Text, Text, Int], spl(false));
    reg(m, "mustRegexSplit", &[Text, Text, Int], spl(true));
    reg(m, "regexQuoteMeta", &[Text], |a| {
        Ok(Value::from(quote_meta(arg_str(&a[0]))))
    });
}
