//! Hashes, random values, UUIDs and certificates.
//!
//! Certificates are generated with rcgen (ECDSA P-256 keys; Sprig makes RSA keys, which
//! ring cannot generate): the output has Sprig's shape (`.Cert`, `.Key` PEM strings).

use super::{ArgType::*, FuncMap, arg_int, arg_str, ferr, reg};
use crate::error::Error;
use crate::value::{MethodSig, Object, Value};
use base64::Engine as _;
use sha2::Digest as _;
use std::sync::Arc;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn adler32(b: &[u8]) -> u32 {
    let (mut a, mut s) = (1u32, 0u32);
    for &x in b {
        a = (a + u32::from(x)) % 65521;
        s = (s + a) % 65521;
    }
    s << 16 | a
}

fn uuidv4() -> String {
    let mut b = [0u8; 16];
    for x in &mut b {
        *x = fastrand::u8(..);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Sprig's `certificate` struct: `.Cert` and `.Key` in PEM.
#[derive(Debug)]
pub(crate) struct Certificate {
    cert: String,
    key: String,
    params: Option<rcgen::CertificateParams>,
    key_pair: Option<Arc<rcgen::KeyPair>>,
}

impl Object for Certificate {
    fn type_name(&self) -> String {
        "sprig.certificate".into()
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::str(&self.cert)),
            "Key" => Some(Value::str(&self.key)),
            _ => None,
        }
    }
    fn method(&self, _name: &str) -> Option<MethodSig> {
        None
    }
    fn format(&self, out: &mut String) {
        out.push('{');
        out.push_str(&self.cert);
        out.push(' ');
        out.push_str(&self.key);
        out.push('}');
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
    fn to_data(&self) -> Value {
        let m = crate::value::Map::new(crate::value::MapKind::Interface);
        m.insert("Cert", Value::str(&self.cert));
        m.insert("Key", Value::str(&self.key));
        Value::Map(m)
    }
}

fn validity(params: &mut rcgen::CertificateParams, days: i64) {
    let now = super::dates::now_unix();
    let (y, mo, d) = super::dates::civil(now.div_euclid(86400));
    let (y2, mo2, d2) = super::dates::civil((now + days * 86400).div_euclid(86400));
    params.not_before = rcgen::date_time_ymd(y as i32, mo as u8, d as u8);
    params.not_after = rcgen::date_time_ymd(y2 as i32, mo2 as u8, d2 as u8);
}

fn names(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l
            .items()
            .iter()
            .filter(|x| !x.is_nil())
            .map(super::strings::strval)
            .collect(),
        _ => vec![],
    }
}

fn gen_cert(
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
    ca: Option<&Certificate>,
    is_ca: bool,
) -> Result<Value, Error> {
    let err = |e: rcgen::Error| ferr(format!("error generating certificate: {e}"));
    let mut sans: Vec<String> = names(dns);
    let ip_list = names(ips);
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    for ip in &ip_list {
        match ip.parse::<std::net::IpAddr>() {
            Ok(a) => params.subject_alt_names.push(rcgen::SanType::IpAddress(a)),
            Err(_) => return Err(ferr(format!("error parsing ip: {ip}"))),
        }
    }
    for n in sans.drain(..) {
        if let Ok(ia5) = n.as_str().try_into() {
            params.subject_alt_names.push(rcgen::SanType::DnsName(ia5));
        }
    }
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    validity(&mut params, days);
    if is_ca {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
        ];
    } else {
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyEncipherment,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
    }
    let key = rcgen::KeyPair::generate().map_err(err)?;
    let cert = match ca {
        Some(Certificate {
            params: Some(cp),
            key_pair: Some(ck),
            ..
        }) => {
            let issuer = rcgen::Issuer::new(cp.clone(), ck.as_ref());
            params.signed_by(&key, &issuer).map_err(err)?
        }
        Some(_) => {
            return Err(ferr(
                "error parsing CA: only CAs made by genCA in the same run can sign",
            ));
        }
        None => params.self_signed(&key).map_err(err)?,
    };
    Ok(Value::Object(Arc::new(Certificate {
        cert: cert.pem(),
        key: key.serialize_pem(),
        params: Some(params),
        key_pair: Some(Arc::new(key)),
    })))
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "sha1sum", &[Text], |a| {
        Ok(Value::from(hex(&sha1::Sha1::digest(
            arg_str(&a[0]).as_bytes(),
        ))))
    });
    reg(m, "sha256sum", &[Text], |a| {
        Ok(Value::from(hex(&sha2::Sha256::digest(
            arg_str(&a[0]).as_bytes(),
        ))))
    });
    reg(m, "sha512sum", &[Text], |a| {
        Ok(Value::from(hex(&sha2::Sha512::digest(
            arg_str(&a[0]).as_bytes(),
        ))))
    });
    reg(m, "adler32sum", &[Text], |a| {
        Ok(Value::from(adler32(arg_str(&a[0]).as_bytes()).to_string()))
    });
    reg(m, "uuidv4", &[], |_| Ok(Value::from(uuidv4())));
    reg(m, "randBytes", &[Int], |a| {
        let n = arg_int(&a[0]).max(0) as usize;
        let b: Vec<u8> = (0..n).map(|_| fastrand::u8(..)).collect();
        Ok(Value::from(
            base64::engine::general_purpose::STANDARD.encode(b),
        ))
    });
    reg(m, "genPrivateKey", &[Text], |a| {
        let alg: &'static rcgen::SignatureAlgorithm = match arg_str(&a[0]) {
            "ecdsa" | "" => &rcgen::PKCS_ECDSA_P256_SHA256,
            "ed25519" => &rcgen::PKCS_ED25519,
            "rsa" | "dsa" => {
                return Ok(Value::str(
                    "genPrivateKey: rsa and dsa keys are not supported",
                ));
            }
            _ => return Ok(Value::str("Unknown type")),
        };
        let k = rcgen::KeyPair::generate_for(alg).map_err(|e| ferr(e.to_string()))?;
        Ok(Value::from(k.serialize_pem()))
    });
    reg(m, "genCA", &[Text, Int], |a| {
        gen_cert(
            arg_str(&a[0]),
            &Value::Nil,
            &Value::Nil,
            arg_int(&a[1]),
            None,
            true,
        )
    });
    reg(m, "genSelfSignedCert", &[Text, List, List, Int], |a| {
        gen_cert(arg_str(&a[0]), &a[1], &a[2], arg_int(&a[3]), None, false)
    });
    reg(
        m,
        "genSignedCert",
        &[Text, List, List, Int, Named("sprig.certificate")],
        |a| {
            let ca = match &a[4] {
                Value::Object(o) => o.as_any().and_then(|x| x.downcast_ref::<Certificate>()),
                _ => None,
            };
            let Some(ca) = ca else {
                return Err(ferr("genSignedCert: pass the CA object returned by genCA"));
            };
            gen_cert(
                arg_str(&a[0]),
                &a[1],
                &a[2],
                arg_int(&a[3]),
                Some(ca),
                false,
            )
        },
    );
    reg(m, "htpasswd", &[Text, Text], |a| {
        // Sprig uses bcrypt; a SHA1 variant keeps the htpasswd shape without a bcrypt dependency.
        let d = sha1::Sha1::digest(arg_str(&a[1]).as_bytes());
        Ok(Value::from(format!(
            "{}:{{SHA}}{}",
            arg_str(&a[0]),
            base64::engine::general_purpose::STANDARD.encode(d)
        )))
    });
    for name in [
        "bcrypt",
        "encryptAES",
        "decryptAES",
        "derivePassword",
        "buildCustomCert",
        "genCAWithKey",
        "genSelfSignedCertWithKey",
        "genSignedCertWithKey",
    ] {
        let n = name.to_string();
        m.insert(
            name.to_string(),
            super::Function::new(vec![], Some(Any), move |_| {
                Err(ferr(format!("{n} is not supported by gitops-gotemplate")))
            }),
        );
    }
}
