//! Dates: Go's `time.Time` printing and layouts, and Sprig's date functions.
//!
//! Zones come from the system's time zone database (through jiff): `Local` is `$TZ` or
//! `/etc/localtime`, as Go's; a zone that cannot be loaded falls back to UTC, as Sprig does.

use super::{ArgType::*, FuncMap, arg_str, ferr, reg};
use crate::value::{GoTime, Str, Value};

pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn now() -> GoTime {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    in_zone(
        GoTime {
            unix: d.as_secs() as i64,
            nanos: d.subsec_nanos(),
            offset: 0,
            zone: Str::from("UTC"),
        },
        "Local",
    )
}

/// The zone a name loads (Go's `time.LoadLocation`, `Local` for the local zone); `None` for
/// UTC, and for names that do not load (Sprig then uses UTC).
fn zone_named(name: &str) -> Option<jiff::tz::TimeZone> {
    let tz = match name {
        "" | "UTC" => return None,
        "Local" => jiff::tz::TimeZone::system(),
        other => jiff::tz::TimeZone::get(other).ok()?,
    };
    (tz != jiff::tz::TimeZone::UTC).then_some(tz)
}

/// Days since 1970-01-01 to (year, month, day).
pub(crate) fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    min: i64,
    sec: i64,
    nanos: u32,
    weekday: usize,
    yday: i64,
}

fn parts(t: &GoTime) -> Parts {
    let local = t.unix + i64::from(t.offset);
    let days = local.div_euclid(86400);
    let secs = local.rem_euclid(86400);
    let (year, month, day) = civil(days);
    Parts {
        year,
        month,
        day,
        hour: secs / 3600,
        min: secs / 60 % 60,
        sec: secs % 60,
        nanos: t.nanos,
        weekday: (days + 4).rem_euclid(7) as usize,
        yday: days - days_from_civil(year, 1, 1) + 1,
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn offset_str(off: i32, colon: bool, seconds: bool, z: bool, hours_only: bool) -> String {
    if z && off == 0 {
        return "Z".into();
    }
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    if hours_only {
        return format!("{sign}{h:02}");
    }
    let mut out = if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    };
    if seconds {
        if colon {
            out.push_str(&format!(":{s:02}"));
        } else {
            out.push_str(&format!("{s:02}"));
        }
    }
    out
}

/// `time.Time.Format(layout)`.
pub(crate) fn format(t: &GoTime, layout: &str) -> String {
    let p = parts(t);
    let mut out = String::new();
    let mut rest = layout;
    let toks: &[&str] = &[
        "January",
        "Jan",
        "Monday",
        "Mon",
        "MST",
        "2006",
        "-07:00:00",
        "-0700",
        "-07:00",
        "-07",
        "Z07:00:00",
        "Z0700",
        "Z07:00",
        "Z07",
        "002",
        "01",
        "02",
        "06",
        "_2",
        "15",
        "03",
        "04",
        "05",
        "PM",
        "pm",
        "1",
        "2",
        "3",
        "4",
        "5",
    ];
    'outer: while !rest.is_empty() {
        // fractional seconds: .000 / .999 / ,000
        if (rest.starts_with(".0")
            || rest.starts_with(".9")
            || rest.starts_with(",0")
            || rest.starts_with(",9"))
            && rest.len() > 1
        {
            let ch = rest.as_bytes()[1];
            let n = rest[1..].bytes().take_while(|&b| b == ch).count();
            let after = rest.as_bytes().get(1 + n);
            if !after.is_some_and(u8::is_ascii_digit) {
                let digits = format!("{:09}", p.nanos);
                let mut frac = digits[..n.min(9)].to_string();
                if ch == b'9' {
                    frac = frac.trim_end_matches('0').to_string();
                    if !frac.is_empty() {
                        out.push(rest.as_bytes()[0] as char);
                        out.push_str(&frac);
                    }
                } else {
                    out.push(rest.as_bytes()[0] as char);
                    out.push_str(&frac);
                }
                rest = &rest[1 + n..];
                continue;
            }
        }
        for tok in toks {
            if let Some(r) = rest.strip_prefix(tok) {
                let s = match *tok {
                    "January" => MONTHS[p.month as usize - 1].to_string(),
                    "Jan" => MONTHS[p.month as usize - 1][..3].to_string(),
                    "Monday" => DAYS[p.weekday].to_string(),
                    "Mon" => DAYS[p.weekday][..3].to_string(),
                    "MST" => t.zone.to_string(),
                    "2006" => format!("{:04}", p.year),
                    "-07:00:00" => offset_str(t.offset, true, true, false, false),
                    "-0700" => offset_str(t.offset, false, false, false, false),
                    "-07:00" => offset_str(t.offset, true, false, false, false),
                    "-07" => offset_str(t.offset, false, false, false, true),
                    "Z07:00:00" => offset_str(t.offset, true, true, true, false),
                    "Z0700" => offset_str(t.offset, false, false, true, false),
                    "Z07:00" => offset_str(t.offset, true, false, true, false),
                    "Z07" => offset_str(t.offset, false, false, true, true),
                    "002" => format!("{:03}", p.yday),
                    "01" => format!("{:02}", p.month),
                    "02" => format!("{:02}", p.day),
                    "06" => format!("{:02}", p.year.rem_euclid(100)),
                    "_2" => format!("{:>2}", p.day),
                    "15" => format!("{:02}", p.hour),
                    "03" => format!("{:02}", if p.hour % 12 == 0 { 12 } else { p.hour % 12 }),
                    "04" => format!("{:02}", p.min),
                    "05" => format!("{:02}", p.sec),
                    "PM" => (if p.hour >= 12 { "PM" } else { "AM" }).to_string(),
                    "pm" => (if p.hour >= 12 { "pm" } else { "am" }).to_string(),
                    "1" => p.month.to_string(),
                    "2" => p.day.to_string(),
                    "3" => (if p.hour % 12 == 0 { 12 } else { p.hour % 12 }).to_string(),
                    "4" => p.min.to_string(),
                    "5" => p.sec.to_string(),
                    _ => String::new(),
                };
                out.push_str(&s);
                rest = r;
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `time.Time.String()`.
pub(crate) fn go_time_string(t: &GoTime) -> String {
    format(t, "2006-01-02 15:04:05.999999999 -0700 MST")
}

/// `time.RFC3339Nano` (what `encoding/json` prints).
pub(crate) fn rfc3339_nano(t: &GoTime) -> String {
    format(t, "2006-01-02T15:04:05.999999999Z07:00")
}

pub(crate) fn time_method(t: &GoTime, name: &str) -> Option<Value> {
    let p = parts(t);
    Some(match name {
        "Year" => Value::Int(p.year),
        "Month" => Value::Int(i64::from(p.month)),
        "Day" => Value::Int(i64::from(p.day)),
        "Hour" => Value::Int(p.hour),
        "Minute" => Value::Int(p.min),
        "Second" => Value::Int(p.sec),
        "Unix" => Value::Int64(t.unix),
        "UTC" => Value::Time(Box::new(GoTime {
            offset: 0,
            zone: Str::from("UTC"),
            ..t.clone()
        })),
        _ => return None,
    })
}

fn to_time(v: &Value) -> GoTime {
    match v {
        Value::Time(t) => (**t).clone(),
        Value::Int(i) | Value::Int64(i) => GoTime {
            unix: *i,
            nanos: 0,
            offset: 0,
            zone: Str::from("UTC"),
        },
        _ => now(),
    }
}

fn in_zone(t: GoTime, zone: &str) -> GoTime {
    let utc = |t: GoTime| GoTime {
        offset: 0,
        zone: Str::from("UTC"),
        ..t
    };
    let Some(tz) = zone_named(zone) else {
        return utc(t);
    };
    let Ok(at) = jiff::Timestamp::new(t.unix, 0) else {
        return utc(t);
    };
    let info = tz.to_offset_info(at);
    GoTime {
        offset: info.offset().seconds(),
        zone: Str::from(info.abbreviation()),
        ..t
    }
}

/// A wall time read without a zone, placed in the local zone (Go's `time.ParseInLocation`
/// with `time.Local`).
fn in_local_wall_time(t: GoTime) -> GoTime {
    let Some(tz) = zone_named("Local") else {
        return t;
    };
    let wall = jiff::Timestamp::new(t.unix, 0).map(|ts| ts.to_zoned(jiff::tz::TimeZone::UTC));
    let Ok(wall) = wall else {
        return t;
    };
    match tz.to_ambiguous_timestamp(wall.datetime()).compatible() {
        Ok(at) => in_zone(
            GoTime {
                unix: at.as_second(),
                ..t
            },
            "Local",
        ),
        Err(_) => t,
    }
}

/// `time.Duration.String()`.
pub(crate) fn duration_string(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let neg = nanos < 0;
    let u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1000 {
            ("ns", 1u64)
        } else if u < 1_000_000 {
            ("µs", 1000)
        } else {
            ("ms", 1_000_000)
        };
        let whole = u / div;
        let frac = u % div;
        out.push_str(&whole.to_string());
        if frac > 0 {
            let w = div.to_string().len() - 1;
            let f = format!("{frac:0w$}");
            out.push('.');
            out.push_str(f.trim_end_matches('0'));
        }
        out.push_str(unit);
    } else {
        let secs_total = u / 1_000_000_000;
        let frac = u % 1_000_000_000;
        let h = secs_total / 3600;
        let m = secs_total / 60 % 60;
        let s = secs_total % 60;
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&s.to_string());
        if frac > 0 {
            out.push('.');
            out.push_str(format!("{frac:09}").trim_end_matches('0'));
        }
        out.push('s');
    }
    if neg { format!("-{out}") } else { out }
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "now", &[], |_| Ok(Value::Time(Box::new(now()))));
    reg(m, "date", &[Text, Any], |a| {
        Ok(Value::from(format(
            &in_zone(to_time(&a[1]), "Local"),
            arg_str(&a[0]),
        )))
    });
    let diz = |a: &[Value]| {
        Ok(Value::from(format(
            &in_zone(to_time(&a[1]), arg_str(&a[2])),
            arg_str(&a[0]),
        )))
    };
    reg(m, "dateInZone", &[Text, Any, Text], diz);
    reg(m, "date_in_zone", &[Text, Any, Text], diz);
    reg(m, "htmlDate", &[Any], |a| {
        Ok(Value::from(format(&to_time(&a[0]), "2006-01-02")))
    });
    reg(m, "htmlDateInZone", &[Any, Text], |a| {
        Ok(Value::from(format(
            &in_zone(to_time(&a[0]), arg_str(&a[1])),
            "2006-01-02",
        )))
    });
    reg(m, "unixEpoch", &[Time], |a| {
        Ok(Value::from(to_time(&a[0]).unix.to_string()))
    });
    reg(m, "ago", &[Any], |a| {
        let t = to_time(&a[0]);
        Ok(Value::from(duration_string(
            (now_unix() - t.unix) * 1_000_000_000,
        )))
    });
    reg(m, "duration", &[Any], |a| {
        let secs = match &a[0] {
            Value::String(s) => s.parse::<i64>().unwrap_or(0),
            Value::Int64(i) => *i,
            _ => 0,
        };
        Ok(Value::from(duration_string(
            secs.saturating_mul(1_000_000_000),
        )))
    });
    reg(m, "durationRound", &[Any], |a| {
        let secs = match &a[0] {
            Value::String(s) => parse_duration(s).map_or(0, |n| n / 1_000_000_000),
            other => super::conv::to_int64(other),
        };
        let u = secs.unsigned_abs();
        let r = if u >= 31_536_000 {
            format!("{}y", u / 31_536_000)
        } else if u >= 2_592_000 {
            format!("{}mo", u / 2_592_000)
        } else if u >= 86_400 {
            format!("{}d", u / 86_400)
        } else if u >= 3600 {
            format!("{}h", u / 3600)
        } else if u >= 60 {
            format!("{}m", u / 60)
        } else {
            format!("{u}s")
        };
        Ok(Value::from(r))
    });
    let modify = |a: &[Value]| {
        let t = to_time(&a[1]);
        match parse_duration(arg_str(&a[0])) {
            Some(n) => {
                let total =
                    i128::from(t.unix) * 1_000_000_000 + i128::from(t.nanos) + i128::from(n);
                Ok(Value::Time(Box::new(GoTime {
                    unix: total.div_euclid(1_000_000_000) as i64,
                    nanos: total.rem_euclid(1_000_000_000) as u32,
                    ..t
                })))
            }
            None => Ok(Value::Time(Box::new(t))),
        }
    };
    reg(m, "dateModify", &[Text, Time], modify);
    reg(m, "date_modify", &[Text, Time], modify);
    reg(m, "mustDateModify", &[Text, Time], modify);
    reg(m, "must_date_modify", &[Text, Time], modify);
    reg(m, "toDate", &[Text, Text], |a| {
        Ok(parse_layout(arg_str(&a[0]), arg_str(&a[1]))
            .map_or(Value::Time(Box::new(zero_time())), |t| {
                Value::Time(Box::new(t))
            }))
    });
    reg(m, "mustToDate", &[Text, Text], |a| {
        parse_layout(arg_str(&a[0]), arg_str(&a[1]))
            .map(|t| Value::Time(Box::new(t)))
            .ok_or_else(|| {
                ferr(format!(
                    "parsing time {} as {}: cannot parse",
                    super::strings::go_quote(arg_str(&a[1]), false),
                    super::strings::go_quote(arg_str(&a[0]), false)
                ))
            })
    });
}

fn zero_time() -> GoTime {
    GoTime {
        unix: -62_135_596_800,
        nanos: 0,
        offset: 0,
        zone: Str::from("UTC"),
    }
}

/// `time.ParseDuration`, in nanoseconds.
pub(crate) fn parse_duration(s: &str) -> Option<i64> {
    let (neg, mut r) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if r == "0" {
        return Some(0);
    }
    if r.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !r.is_empty() {
        let n = r
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        if n == 0 {
            return None;
        }
        let num: f64 = r[..n].parse().ok()?;
        r = &r[n..];
        let u = r
            .bytes()
            .take_while(|b| !b.is_ascii_digit() && *b != b'.')
            .count();
        let unit = &r[..u];
        r = &r[u..];
        let mult = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 6e10,
            "h" => 3.6e12,
            _ => return None,
        };
        total += num * mult;
    }
    Some(if neg { -total as i64 } else { total as i64 })
}

/// `time.Parse(layout, value)` for numeric layouts (UTC).
fn parse_layout(layout: &str, value: &str) -> Option<GoTime> {
    let (mut y, mut mo, mut d, mut h, mut mi, mut s) = (1i64, 1u32, 1u32, 0i64, 0i64, 0i64);
    let mut off: i32 = 0;
    let mut l = layout;
    let mut v = value;
    let num = |v: &mut &str, n: usize| -> Option<i64> {
        let t = v.get(..n)?;
        if !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *v = &v[n..];
        t.parse().ok()
    };
    while !l.is_empty() {
        if let Some(r) = l.strip_prefix("2006") {
            y = num(&mut v, 4)?;
            l = r;
        } else if let Some(r) = l.strip_prefix("01") {
            mo = num(&mut v, 2)? as u32;
            l = r;
        } else if let Some(r) = l.strip_prefix("02") {
            d = num(&mut v, 2)? as u32;
            l = r;
        } else if let Some(r) = l.strip_prefix("15") {
            h = num(&mut v, 2)?;
            l = r;
        } else if let Some(r) = l.strip_prefix("04") {
            mi = num(&mut v, 2)?;
            l = r;
        } else if let Some(r) = l.strip_prefix("05") {
            s = num(&mut v, 2)?;
            l = r;
        } else if let Some(r) = l.strip_prefix("Z07:00") {
            if let Some(rv) = v.strip_prefix('Z') {
                v = rv;
            } else {
                let sign = if v.starts_with('-') { -1 } else { 1 };
                v = v.get(1..)?;
                let hh = num(&mut v, 2)?;
                v = v.strip_prefix(':')?;
                let mm = num(&mut v, 2)?;
                off = sign * (hh * 3600 + mm * 60) as i32;
            }
            l = r;
        } else {
            let c = l.chars().next()?;
            if !v.starts_with(c) {
                return None;
            }
            l = &l[c.len_utf8()..];
            v = &v[c.len_utf8()..];
        }
    }
    if !v.is_empty() || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let unix = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - i64::from(off);
    let t = GoTime {
        unix,
        nanos: 0,
        offset: off,
        zone: Str::from(if off == 0 { "UTC" } else { "" }),
    };
    Some(if layout.contains("Z07:00") {
        t
    } else {
        in_local_wall_time(t)
    })
}
