//! YAML 1.1 timestamps as kustomize (Go's YAML and time packages) prints them.

/// A plain YAML timestamp as Go prints the time it reads (RFC 3339, fraction without trailing
/// zeros, UTC as `Z`); `None` for anything else. Accepts `2006-1-2`, with `T`/`t` and a time
/// with an optional fraction and zone (`Z`, `+07:00`), or with a space and a zoneless time.
pub(crate) fn timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let num = |t: &str, max: u32, min: u32| -> Option<u32> {
        if t.is_empty() || t.len() > 2 || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse::<u32>().ok().filter(|v| (min..=max).contains(v))
    };
    let (date, rest) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some((&s[i..=i], &s[i + 1..]))),
        None => (s, None),
    };
    let mut parts = date.splitn(3, '-');
    let year = parts.next()?;
    let month = num(parts.next()?, 12, 1)?;
    let day = num(parts.next()?, 31, 1)?;
    let days_in_month = match month {
        2 => {
            let y: u32 = year.parse().ok()?;
            if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) {
                29
            } else {
                28
            }
        }
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day > days_in_month {
        return None;
    }
    let Some((sep, time)) = rest else {
        return Some(format!("{year}-{month:02}-{day:02}T00:00:00Z"));
    };
    let (clock, zone) = if sep == " " {
        (time, "Z".to_owned())
    } else if let Some(c) = time.strip_suffix('Z') {
        (c, "Z".to_owned())
    } else {
        let i = time.rfind(['+', '-'])?;
        let zone = &time[i..];
        let (h, m) = zone[1..].split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        num(h, 23, 0)?;
        num(m, 59, 0)?;
        let zone = if &zone[1..] == "00:00" {
            "Z".to_owned()
        } else {
            zone.to_owned()
        };
        (&time[..i], zone)
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, f))
            if !f.is_empty() && f.len() <= 9 && f.bytes().all(|c| c.is_ascii_digit()) =>
        {
            (hms, f.trim_end_matches('0'))
        }
        Some(_) => return None,
        None => (clock, ""),
    };
    let mut fields = hms.split(':');
    let hour = num(fields.next()?, 23, 0)?;
    let minute = num(fields.next()?, 59, 0)?;
    let second = num(fields.next()?, 59, 0)?;
    if fields.next().is_some() {
        return None;
    }
    let fraction = if fraction.is_empty() {
        String::new()
    } else {
        format!(".{fraction}")
    };
    Some(format!(
        "{year}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}{zone}"
    ))
}
