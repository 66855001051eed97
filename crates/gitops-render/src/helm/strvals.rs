//! The `--set` family of value expressions, a port of Helm's `pkg/strvals` parser:
//! `a.b=c,d[0]=e`, lists `{x,y}`, escaped `\.` and `\,`, typed values (`true`, `null`,
//! integers as `int64`), `--set-string`, `--set-file`, `--set-json` and `--set-literal`.

use gitops_gotemplate::Value;
use gitops_gotemplate::value::Map;

use super::values::{new_table, table};

/// Helm's `MaxIndex`.
const MAX_INDEX: i64 = 65536;
/// Helm's `MaxNestedNameLevel`.
const MAX_NESTED_NAME_LEVEL: usize = 30;

/// How a parser turns the text of a value into a value.
enum Reader<'a> {
    /// `--set` (typed) or `--set-string` (always a string).
    Typed { strings: bool },
    /// `--set-file`: the value is a path whose content is the value.
    File(&'a dyn Fn(&str) -> Result<String, String>),
    /// `--set-json`: the value is JSON.
    Json,
}

struct Parser<'a> {
    s: Vec<char>,
    pos: usize,
    reader: Reader<'a>,
}

#[derive(Debug)]
enum PErr {
    Eof,
    NotList,
    Msg(String),
}

type PResult<T> = Result<T, PErr>;

fn msg(m: impl Into<String>) -> PErr {
    PErr::Msg(m.into())
}

/// Go's dynamic type name of a value, as `interface conversion` panics print it.
fn go_type(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Nil) | Some(Value::Invalid) => "nil".into(),
        Some(v) => v.type_name(),
    }
}

impl Parser<'_> {
    fn read(&mut self) -> Option<char> {
        let c = self.s.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn unread(&mut self) {
        self.pos -= 1;
    }

    fn rest(&self) -> String {
        self.s[self.pos..].iter().collect()
    }

    /// Reads until one of `stop` (consumed); `\` escapes the next character.
    fn runes_until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut v = String::new();
        loop {
            match self.read() {
                None => return (v, None),
                Some(c) if stop.contains(&c) => return (v, Some(c)),
                Some('\\') => match self.read() {
                    None => return (v, None),
                    Some(n) => v.push(n),
                },
                Some(c) => v.push(c),
            }
        }
    }

    fn parse(&mut self, data: &Map) -> Result<(), String> {
        loop {
            match self.key(data, 0) {
                Ok(()) => continue,
                Err(PErr::Eof) => return Ok(()),
                Err(PErr::NotList) => return Err("not a list".into()),
                Err(PErr::Msg(m)) => return Err(m),
            }
        }
    }

    fn typed(&self, text: &str) -> PResult<Value> {
        match &self.reader {
            Reader::Typed { strings } => Ok(typed_val(text, *strings)),
            Reader::File(read) => read(text).map(Value::from).map_err(PErr::Msg),
            Reader::Json => Ok(typed_val(text, false)),
        }
    }

    fn key(&mut self, data: &Map, nested: usize) -> PResult<()> {
        let (k, last) = self.runes_until(&['=', '[', ',', '.']);
        match last {
            None => {
                if k.is_empty() {
                    return Err(PErr::Eof);
                }
                Err(msg(format!("key {k:?} has no value")))
            }
            Some('[') => {
                let i = self
                    .key_index()
                    .map_err(|e| msg(format!("error parsing index: {e}")))?;
                let list = match data.get(&k) {
                    None => Vec::new(),
                    Some(Value::List(l))
                        if l.elem() == gitops_gotemplate::value::ElemType::Interface =>
                    {
                        l.items().to_vec()
                    }
                    Some(other) => {
                        return Err(msg(format!(
                            "unable to parse key: interface conversion: interface {{}} is {}, not []interface {{}}",
                            go_type(Some(&other))
                        )));
                    }
                };
                let (list, err) = self.list_item(list, i, nested);
                set(data, &k, Value::list(list));
                match err {
                    None => Ok(()),
                    Some(e) => Err(e),
                }
            }
            Some('=') => {
                if let Reader::Json = self.reader {
                    if self.empty_val() {
                        set(data, &k, Value::Nil);
                        return Ok(());
                    }
                    let v = self.json_value()?;
                    set(data, &k, v);
                    self.empty_val();
                    return Ok(());
                }
                match self.val_list() {
                    Ok(vl) => {
                        set(data, &k, Value::list(vl));
                        Ok(())
                    }
                    Err(PErr::Eof) => {
                        set(data, &k, Value::str(""));
                        Err(PErr::Eof)
                    }
                    Err(PErr::NotList) => {
                        let (rs, _) = self.runes_until(&[',']);
                        let v = self.typed(&rs)?;
                        set(data, &k, v);
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            Some(',') => {
                set(data, &k, Value::str(""));
                Err(msg(format!("key {k:?} has no value (cannot end with ,)")))
            }
            Some('.') => {
                let nested = nested + 1;
                if nested > MAX_NESTED_NAME_LEVEL {
                    return Err(msg(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                    )));
                }
                let inner = match data.get(&k) {
                    None => new_table(),
                    Some(v) => match table(&v) {
                        Some(m) => m.clone(),
                        None => {
                            return Err(msg(format!(
                                "unable to parse key: interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                                go_type(Some(&v))
                            )));
                        }
                    },
                };
                let e = self.key(&inner, nested);
                if e.is_ok() && inner.is_empty() {
                    return Err(msg(format!("key map {k:?} has no value")));
                }
                if !inner.is_empty() {
                    set(data, &k, Value::Map(inner));
                }
                e
            }
            Some(_) => unreachable!("stop characters only"),
        }
    }

    fn key_index(&mut self) -> Result<i64, String> {
        let (v, last) = self.runes_until(&[']']);
        if last.is_none() {
            return Err("EOF".into());
        }
        go_atoi(&v)
    }

    /// Returns the list and the error, as Go returns both.
    fn list_item(&mut self, list: Vec<Value>, i: i64, nested: usize) -> (Vec<Value>, Option<PErr>) {
        if i < 0 {
            return (list, Some(msg(format!("negative {i} index not allowed"))));
        }
        let (k, last) = self.runes_until(&['[', '.', '=']);
        if !k.is_empty() {
            return (
                list,
                Some(msg(format!("unexpected data at end of array index: {k:?}"))),
            );
        }
        match last {
            None => (list, Some(PErr::Eof)),
            Some('=') => {
                if let Reader::Json = self.reader {
                    if self.empty_val() {
                        return set_index(list, i, Value::Nil);
                    }
                    let v = match self.json_value() {
                        Ok(v) => v,
                        Err(e) => return (list, Some(e)),
                    };
                    let (list, err) = set_index(list, i, v);
                    if err.is_some() {
                        return (list, err);
                    }
                    self.empty_val();
                    return (list, None);
                }
                match self.val_list() {
                    Ok(vl) => set_index(list, i, Value::list(vl)),
                    Err(PErr::Eof) => set_index(list, i, Value::str("")),
                    Err(PErr::NotList) => {
                        let (rs, _) = self.runes_until(&[',']);
                        match self.typed(&rs) {
                            Ok(v) => set_index(list, i, v),
                            Err(e) => (list, Some(e)),
                        }
                    }
                    Err(e) => (list, Some(e)),
                }
            }
            Some('[') => {
                let next = match self.key_index() {
                    Ok(n) => n,
                    Err(e) => return (list, Some(msg(format!("error parsing index: {e}")))),
                };
                let mut crt = Vec::new();
                if (list.len() as i64) > i {
                    match &list[i as usize] {
                        Value::Nil | Value::Invalid => {}
                        Value::List(l) => crt = l.items().to_vec(),
                        other => {
                            return (
                                list.clone(),
                                Some(msg(format!(
                                    "unable to parse key: interface conversion: interface {{}} is {}, not []interface {{}}",
                                    go_type(Some(other))
                                ))),
                            );
                        }
                    }
                }
                let (list2, err) = self.list_item(crt, next, nested);
                if err.is_some() {
                    return (list, err);
                }
                set_index(list, i, Value::list(list2))
            }
            Some('.') => {
                let mut list = list;
                let mut inner = new_table();
                if (list.len() as i64) > i {
                    match table(&list[i as usize]) {
                        Some(m) => inner = m.clone(),
                        None => {
                            // indices out of order: start an empty map there
                            list[i as usize] = Value::Map(inner.clone());
                        }
                    }
                }
                if let Err(e) = self.key(&inner, nested) {
                    return (list, Some(e));
                }
                set_index(list, i, Value::Map(inner))
            }
            Some(c) => (
                Vec::new(),
                Some(msg(format!("parse error: unexpected token {}", c as u32))),
            ),
        }
    }

    /// Consumes spaces up to a comma (consumed) or the end: an empty value.
    fn empty_val(&mut self) -> bool {
        loop {
            match self.read() {
                None | Some(',') => return true,
                Some(c) if c.is_whitespace() => {}
                Some(_) => {
                    self.unread();
                    return false;
                }
            }
        }
    }

    fn json_value(&mut self) -> PResult<Value> {
        let rest = self.rest();
        let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<serde_json::Value>();
        match stream.next() {
            Some(Ok(v)) => {
                let consumed = &rest[..stream.byte_offset()];
                self.pos += consumed.chars().count();
                Ok(Value::from(&v))
            }
            Some(Err(e)) => Err(msg(e.to_string())),
            None => Err(msg("unexpected end of JSON input")),
        }
    }

    fn val_list(&mut self) -> PResult<Vec<Value>> {
        match self.read() {
            None => return Err(PErr::Eof),
            Some('{') => {}
            Some(_) => {
                self.unread();
                return Err(PErr::NotList);
            }
        }
        let mut list = Vec::new();
        loop {
            let (rs, last) = self.runes_until(&[',', '}']);
            match last {
                None => return Err(msg("list must terminate with '}'")),
                Some('}') => {
                    if let Some(c) = self.read()
                        && c != ','
                    {
                        self.unread();
                    }
                    list.push(self.typed(&rs)?);
                    return Ok(list);
                }
                _ => list.push(self.typed(&rs)?),
            }
        }
    }
}

fn set(data: &Map, key: &str, val: Value) {
    if key.is_empty() {
        return;
    }
    data.insert(key, val);
}

fn set_index(mut list: Vec<Value>, index: i64, val: Value) -> (Vec<Value>, Option<PErr>) {
    if index < 0 {
        return (
            list,
            Some(msg(format!("negative {index} index not allowed"))),
        );
    }
    if index > MAX_INDEX {
        return (
            list,
            Some(msg(format!(
                "index of {index} is greater than maximum supported index of {MAX_INDEX}"
            ))),
        );
    }
    let i = index as usize;
    if list.len() <= i {
        list.resize(i + 1, Value::Nil);
    }
    list[i] = val;
    (list, None)
}

/// `strconv.Atoi` with Go's error text.
fn go_atoi(s: &str) -> Result<i64, String> {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s);
    if b.is_empty() || !b.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing {s:?}: invalid syntax"));
    }
    s.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing {s:?}: value out of range"))
}

/// Helm's `typedVal`: `true`/`false`/`null` (any case), `int64` for integers not starting
/// with `0` (and `0` itself), strings otherwise.
fn typed_val(v: &str, strings: bool) -> Value {
    if strings {
        return Value::str(v);
    }
    if v.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if v.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if v.eq_ignore_ascii_case("null") {
        return Value::Nil;
    }
    if v == "0" {
        return Value::Int64(0);
    }
    if !v.is_empty() && !v.starts_with('0') {
        let body = v.strip_prefix(['+', '-']).unwrap_or(v);
        if !body.is_empty()
            && body.bytes().all(|c| c.is_ascii_digit())
            && let Ok(i) = v.parse::<i64>()
        {
            return Value::Int64(i);
        }
    }
    Value::str(v)
}

/// Parses `s` with values read by `reader` into `dest`.
fn apply(s: &str, dest: &Map, reader: Reader<'_>) -> Result<(), String> {
    Parser {
        s: s.chars().collect(),
        pos: 0,
        reader,
    }
    .parse(dest)
}

/// Applies a `--set` expression to `dest`.
pub(crate) fn parse_into(s: &str, dest: &Map) -> Result<(), String> {
    apply(s, dest, Reader::Typed { strings: false })
}

/// Applies a `--set-string` expression to `dest`.
pub(crate) fn parse_into_string(s: &str, dest: &Map) -> Result<(), String> {
    apply(s, dest, Reader::Typed { strings: true })
}

/// Applies a `--set-file` expression to `dest`; `read` returns a file's content.
pub(crate) fn parse_into_file(
    s: &str,
    dest: &Map,
    read: &dyn Fn(&str) -> Result<String, String>,
) -> Result<(), String> {
    apply(s, dest, Reader::File(read))
}

/// Applies a `--set-json` `key=json` expression to `dest`.
pub(crate) fn parse_json(s: &str, dest: &Map) -> Result<(), String> {
    apply(s, dest, Reader::Json)
}

/// Applies a `--set-literal` expression: the key is parsed as for `--set`, the value is
/// everything after the first `=`, verbatim.
pub(crate) fn parse_literal_into(s: &str, dest: &Map) -> Result<(), String> {
    literal::parse(s, dest)
}

mod literal {
    //! Helm's `literal_parser.go`.
    use super::*;

    struct L {
        s: Vec<char>,
        pos: usize,
    }

    impl L {
        fn read(&mut self) -> Option<char> {
            let c = self.s.get(self.pos).copied();
            if c.is_some() {
                self.pos += 1;
            }
            c
        }

        fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
            let mut v = String::new();
            loop {
                match self.read() {
                    None => return (v, None),
                    Some(c) if stop.contains(&c) => return (v, Some(c)),
                    Some(c) => v.push(c),
                }
            }
        }

        fn key(&mut self, data: &Map, nested: usize) -> Result<bool, String> {
            let (k, last) = self.until(&['=', '[', '.']);
            match last {
                None => {
                    if k.is_empty() {
                        Ok(true)
                    } else {
                        Err(format!("key {k:?} has no value"))
                    }
                }
                Some('=') => {
                    let rest: String = self.s[self.pos..].iter().collect();
                    self.pos = self.s.len();
                    set(data, &k, Value::from(rest));
                    Ok(true)
                }
                Some('.') => {
                    let nested = nested + 1;
                    if nested > MAX_NESTED_NAME_LEVEL {
                        return Err(format!(
                            "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                        ));
                    }
                    let inner = match data.get(&k).as_ref().and_then(table) {
                        Some(m) => m.clone(),
                        None => new_table(),
                    };
                    let r = self.key(&inner, nested);
                    if r.is_ok() && inner.is_empty() {
                        return Err(format!("key map {k:?} has no value"));
                    }
                    if !inner.is_empty() {
                        set(data, &k, Value::Map(inner));
                    }
                    r
                }
                Some('[') => {
                    let (idx, _) = self.until(&[']']);
                    let i = go_atoi(&idx).map_err(|e| format!("error parsing index: {e}"))?;
                    let list = match data.get(&k) {
                        Some(Value::List(l)) => l.items().to_vec(),
                        _ => Vec::new(),
                    };
                    let list = self.list_item(list, i, nested)?;
                    set(data, &k, Value::list(list));
                    Ok(true)
                }
                Some(_) => unreachable!("stop characters only"),
            }
        }

        fn list_item(
            &mut self,
            list: Vec<Value>,
            i: i64,
            nested: usize,
        ) -> Result<Vec<Value>, String> {
            if i < 0 {
                return Err(format!("negative {i} index not allowed"));
            }
            let (k, last) = self.until(&['[', '.', '=']);
            if !k.is_empty() {
                return Err(format!("unexpected data at end of array index: {k:?}"));
            }
            match last {
                None => Err("EOF".into()),
                Some('=') => {
                    let rest: String = self.s[self.pos..].iter().collect();
                    self.pos = self.s.len();
                    into(set_index(list, i, Value::from(rest)))
                }
                Some('.') => {
                    let mut list = list;
                    let mut inner = new_table();
                    if (list.len() as i64) > i {
                        match table(&list[i as usize]) {
                            Some(m) => inner = m.clone(),
                            None => list[i as usize] = Value::Map(inner.clone()),
                        }
                    }
                    self.key(&inner, nested)?;
                    into(set_index(list, i, Value::Map(inner)))
                }
                Some('[') => {
                    let (idx, _) = self.until(&[']']);
                    let next = go_atoi(&idx).map_err(|e| format!("error parsing index: {e}"))?;
                    let crt = match list.get(i as usize) {
                        Some(Value::List(l)) => l.items().to_vec(),
                        _ => Vec::new(),
                    };
                    let l2 = self.list_item(crt, next, nested)?;
                    into(set_index(list, i, Value::list(l2)))
                }
                Some(c) => Err(format!("parse error: unexpected token {}", c as u32)),
            }
        }
    }

    fn into((list, err): (Vec<Value>, Option<PErr>)) -> Result<Vec<Value>, String> {
        match err {
            None => Ok(list),
            Some(PErr::Msg(m)) => Err(m),
            Some(PErr::Eof) => Err("EOF".into()),
            Some(PErr::NotList) => Err("not a list".into()),
        }
    }

    pub(super) fn parse(s: &str, dest: &Map) -> Result<(), String> {
        let mut l = L {
            s: s.chars().collect(),
            pos: 0,
        };
        loop {
            if l.pos >= l.s.len() {
                return Ok(());
            }
            l.key(dest, 0)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_json(exprs: &[&str], f: fn(&str, &Map) -> Result<(), String>) -> serde_json::Value {
        let m = new_table();
        for e in exprs {
            f(e, &m).unwrap();
        }
        Value::Map(m).to_json()
    }

    #[test]
    fn set_expressions() {
        use serde_json::json;
        assert_eq!(
            set_json(&["a=b,c.d=1"], parse_into),
            json!({"a": "b", "c": {"d": 1}})
        );
        assert_eq!(
            set_json(&["a[0]=x,a[2]=z"], parse_into),
            json!({"a": ["x", null, "z"]})
        );
        assert_eq!(
            set_json(&["a={x,y},b=true,c=null"], parse_into),
            json!({"a": ["x", "y"], "b": true, "c": null})
        );
        assert_eq!(
            set_json(&["a\\.b=c\\,d"], parse_into),
            json!({"a.b": "c,d"})
        );
        assert_eq!(
            set_json(&["a=007,b=-3,c=0"], parse_into),
            json!({"a": "007", "b": -3, "c": 0})
        );
        assert_eq!(set_json(&["a=1"], parse_into_string), json!({"a": "1"}));
        assert_eq!(
            set_json(&["a[0].b=1,a[0].c=2"], parse_into),
            json!({"a": [{"b": 1, "c": 2}]})
        );
        assert_eq!(
            set_json(&["a=", "b"], |s, m| {
                let _ = parse_into(s, m);
                Ok(())
            }),
            json!({"a": ""})
        );
        assert_eq!(
            set_json(&["a={\"b\":[1,2]},c=null"], parse_json),
            json!({"a": {"b": [1.0, 2.0]}, "c": null})
        );
        assert_eq!(
            set_json(&["a.b=x=y,z"], parse_literal_into),
            json!({"a": {"b": "x=y,z"}})
        );
        let m = new_table();
        assert_eq!(parse_into("a", &m).unwrap_err(), "key \"a\" has no value");
        assert_eq!(
            parse_into("a[x]=1", &m).unwrap_err(),
            "error parsing index: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        let m = new_table();
        parse_into("a=1", &m).unwrap();
        assert_eq!(
            parse_into("a.b=1", &m).unwrap_err(),
            "unable to parse key: interface conversion: interface {} is int64, not map[string]interface {}"
        );
    }
}
