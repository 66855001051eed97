//! Numbers as kustomize prints them: through Go's JSON encoding, then yaml.v2.

use serde_json::Number;

/// A number as kustomize prints it (through Go's JSON and yaml.v2).
pub(super) fn number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 1e21 && f.abs() < 9.2e18 {
        // Go's JSON writes it without a fraction; yaml.v2 reads it back as an integer.
        #[allow(clippy::cast_possible_truncation)]
        return (f as i64).to_string();
    }
    go_format_g(f)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`.
pub(super) fn go_format_g(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if neg { "-" } else { "" };
    // Go uses the exponent form below 1e-4 and, for the shortest representation, from 1e6.
    if !(-4..6).contains(&exp) {
        let mut m = digits[..1].to_owned();
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{esign}{:02}", exp.abs());
    }
    format!("{sign}{}", fixed(&digits, exp))
}

fn fixed(digits: &str, exp: i32) -> String {
    let dp = exp + 1;
    if dp <= 0 {
        let zeros = usize::try_from(-dp).unwrap_or(0);
        return format!("0.{}{}", "0".repeat(zeros), digits);
    }
    let dp = usize::try_from(dp).unwrap_or(0);
    if dp >= digits.len() {
        format!("{}{}", digits, "0".repeat(dp - digits.len()))
    } else {
        format!("{}.{}", &digits[..dp], &digits[dp..])
    }
}
