//! Sprig's integer and float arithmetic.

use super::conv::{to_float64, to_int64};
use super::{ArgType::*, FuncMap, arg_int, ferr, reg, regv};
use crate::value::{ElemType, List, Value};

pub(crate) fn until_step(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut v = Vec::new();
    if stop < start {
        if step >= 0 {
            return v;
        }
        let mut i = start;
        while i > stop {
            v.push(i);
            i += step;
        }
        return v;
    }
    if step <= 0 {
        return v;
    }
    let mut i = start;
    while i < stop {
        v.push(i);
        i += step;
    }
    v
}

fn int_list(v: Vec<i64>) -> Value {
    Value::List(List::new(
        ElemType::Int,
        v.into_iter().map(Value::Int).collect(),
    ))
}

fn seq(p: &[i64]) -> String {
    let r = match p.len() {
        1 => {
            let (start, end) = (1, p[0]);
            let inc = if end < start { -1 } else { 1 };
            until_step(start, end + inc, inc)
        }
        2 => {
            let (start, end) = (p[0], p[1]);
            let step = if end < start { -1 } else { 1 };
            until_step(start, end + step, step)
        }
        3 => {
            let (start, step, end) = (p[0], p[1], p[2]);
            let mut inc = 1;
            if end < start {
                inc = -1;
                if step > 0 {
                    return String::new();
                }
            }
            until_step(start, end + inc, step)
        }
        _ => return String::new(),
    };
    r.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")
}

/// An exact decimal (mantissa × 10^exp), enough for shopspring/decimal's add/sub/mul.
#[derive(Clone, Copy)]
struct Dec {
    m: i128,
    e: i32,
}

impl Dec {
    fn from_f64(f: f64) -> Option<Dec> {
        if !f.is_finite() {
            return None;
        }
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e')?;
        let exp: i32 = exp.parse().ok()?;
        let neg = mant.starts_with('-');
        let mant = mant.trim_start_matches('-');
        let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
        let digits = format!("{ip}{fp}");
        let m: i128 = digits.parse().ok()?;
        Some(Dec {
            m: if neg { -m } else { m },
            e: exp - fp.len() as i32,
        })
    }
    fn align(a: Dec, b: Dec) -> Option<(i128, i128, i32)> {
        let e = a.e.min(b.e);
        let sa = a.m.checked_mul(10i128.checked_pow((a.e - e) as u32)?)?;
        let sb = b.m.checked_mul(10i128.checked_pow((b.e - e) as u32)?)?;
        Some((sa, sb, e))
    }
    fn to_f64(self) -> f64 {
        format!("{}e{}", self.m, self.e).parse().unwrap_or(f64::NAN)
    }
}

fn dec_op(a: &Value, rest: &[Value], op: char) -> f64 {
    let mut acc = to_float64(a);
    for x in rest {
        let b = to_float64(x);
        let exact = (|| {
            let (da, db) = (Dec::from_f64(acc)?, Dec::from_f64(b)?);
            match op {
                '+' | '-' => {
                    let (x, y, e) = Dec::align(da, db)?;
                    let m = if op == '+' {
                        x.checked_add(y)?
                    } else {
                        x.checked_sub(y)?
                    };
                    Some(Dec { m, e }.to_f64())
                }
                '*' => Some(
                    Dec {
                        m: da.m.checked_mul(db.m)?,
                        e: da.e + db.e,
                    }
                    .to_f64(),
                ),
                _ => {
                    if db.m == 0 {
                        return None;
                    }
                    // 16 fractional digits, rounded half away from zero, like decimal.Div.
                    let q = acc / b;
                    let scaled = (q * 1e16).round() / 1e16;
                    Some(if scaled.is_finite() {
                        format!("{:.16}", q).parse().unwrap_or(scaled)
                    } else {
                        q
                    })
                }
            }
        })();
        acc = exact.unwrap_or(match op {
            '+' => acc + b,
            '-' => acc - b,
            '*' => acc * b,
            _ => {
                if b == 0.0 {
                    // decimal division by zero panics
                    f64::NAN
                } else {
                    acc / b
                }
            }
        });
    }
    acc
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "add1", &[Any], |a| {
        Ok(Value::Int64(to_int64(&a[0]).wrapping_add(1)))
    });
    regv(m, "add", &[], Any, |a| {
        Ok(Value::Int64(
            a.iter().fold(0i64, |s, x| s.wrapping_add(to_int64(x))),
        ))
    });
    reg(m, "sub", &[Any, Any], |a| {
        Ok(Value::Int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
    });
    reg(m, "div", &[Any, Any], |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(ferr("runtime error: integer divide by zero"));
        }
        Ok(Value::Int64(to_int64(&a[0]).wrapping_div(d)))
    });
    reg(m, "mod", &[Any, Any], |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(ferr("runtime error: integer divide by zero"));
        }
        Ok(Value::Int64(to_int64(&a[0]).wrapping_rem(d)))
    });
    regv(m, "mul", &[Any], Any, |a| {
        Ok(Value::Int64(
            a[1..]
                .iter()
                .fold(to_int64(&a[0]), |s, x| s.wrapping_mul(to_int64(x))),
        ))
    });
    reg(m, "randInt", &[Int, Int], |a| {
        let (lo, hi) = (arg_int(&a[0]), arg_int(&a[1]));
        if hi - lo <= 0 {
            return Err(ferr("invalid argument to Intn"));
        }
        Ok(Value::Int(fastrand::i64(lo..hi)))
    });
    reg(m, "add1f", &[Any], |a| {
        Ok(Value::Float64(dec_op(&a[0], &[Value::Int(1)], '+')))
    });
    regv(m, "addf", &[], Any, |a| {
        Ok(Value::Float64(dec_op(&Value::Float64(0.0), a, '+')))
    });
    regv(m, "subf", &[Any], Any, |a| {
        Ok(Value::Float64(dec_op(&a[0], &a[1..], '-')))
    });
    regv(m, "divf", &[Any], Any, |a| {
        if a[1..].iter().any(|x| to_float64(x) == 0.0) {
            return Err(ferr("decimal division by 0"));
        }
        Ok(Value::Float64(dec_op(&a[0], &a[1..], '/')))
    });
    regv(m, "mulf", &[Any], Any, |a| {
        Ok(Value::Float64(dec_op(&a[0], &a[1..], '*')))
    });
    let max = |a: &[Value]| {
        Ok(Value::Int64(
            a[1..].iter().map(to_int64).fold(to_int64(&a[0]), i64::max),
        ))
    };
    regv(m, "max", &[Any], Any, max);
    regv(m, "biggest", &[Any], Any, max);
    regv(m, "min", &[Any], Any, |a| {
        Ok(Value::Int64(
            a[1..].iter().map(to_int64).fold(to_int64(&a[0]), i64::min),
        ))
    });
    regv(m, "maxf", &[Any], Any, |a| {
        Ok(Value::Float64(
            a[1..]
                .iter()
                .map(to_float64)
                .fold(to_float64(&a[0]), go_max),
        ))
    });
    regv(m, "minf", &[Any], Any, |a| {
        Ok(Value::Float64(
            a[1..]
                .iter()
                .map(to_float64)
                .fold(to_float64(&a[0]), go_min),
        ))
    });
    reg(m, "ceil", &[Any], |a| {
        Ok(Value::Float64(to_float64(&a[0]).ceil()))
    });
    reg(m, "floor", &[Any], |a| {
        Ok(Value::Float64(to_float64(&a[0]).floor()))
    });
    regv(m, "round", &[Any, Int], Float64, |a| {
        let round_on = match a.get(2) {
            Some(Value::Float64(f)) => *f,
            _ => 0.5,
        };
        let val = to_float64(&a[0]);
        let pow = 10f64.powf(arg_int(&a[1]) as f64);
        let digit = pow * val;
        let frac = digit.fract();
        let r = if frac >= round_on {
            digit.ceil()
        } else {
            digit.floor()
        };
        Ok(Value::Float64(r / pow))
    });
    reg(m, "until", &[Int], |a| {
        let c = arg_int(&a[0]);
        Ok(int_list(until_step(0, c, if c < 0 { -1 } else { 1 })))
    });
    reg(m, "untilStep", &[Int, Int, Int], |a| {
        Ok(int_list(until_step(
            arg_int(&a[0]),
            arg_int(&a[1]),
            arg_int(&a[2]),
        )))
    });
    regv(m, "seq", &[], Int, |a| {
        Ok(Value::from(seq(&a.iter().map(arg_int).collect::<Vec<_>>())))
    });
}

fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}
