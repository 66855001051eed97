//! Hashes, random values, UUIDs, passwords, AES and certificates.
//!
//! Certificates are made as Sprig makes them (RSA 2048 keys, `.Cert` and `.Key` PEM strings),
//! signed with rcgen; keys come from [`super::keys`].

use super::{ArgType::*, FuncMap, arg_int, arg_str, ferr, keys, reg};
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
    key: Option<&str>,
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
    let key = match key {
        Some(pem) => {
            keys::parse(pem).map_err(|e| ferr(format!("error parsing private key: {e}")))?
        }
        None => keys::rsa(2048).map_err(|e| ferr(format!("error generating rsa key: {e}")))?,
    };
    let cert = match ca {
        Some(Certificate {
            params: Some(cp),
            key_pair: Some(ck),
            ..
        }) => {
            let issuer = rcgen::Issuer::new(cp.clone(), ck.as_ref());
            params.signed_by(&key.pair, &issuer).map_err(err)?
        }
        Some(other) => {
            // A CA from buildCustomCert: read from its PEM.
            let ca_key = keys::parse(&other.key)
                .map_err(|e| ferr(format!("error parsing private key: {e}")))?;
            let issuer = rcgen::Issuer::from_ca_cert_pem(&other.cert, &ca_key.pair)
                .map_err(|e| ferr(format!("error parsing certificate: {e}")))?;
            params.signed_by(&key.pair, &issuer).map_err(err)?
        }
        None => params.self_signed(&key.pair).map_err(err)?,
    };
    Ok(Value::Object(Arc::new(Certificate {
        cert: cert.pem(),
        key: key.pem,
        params: Some(params),
        key_pair: Some(Arc::new(key.pair)),
    })))
}

/// Sprig's `buildCustomCert`: a certificate object from a base64 PEM certificate and key.
fn build_custom_cert(b64cert: &str, b64key: &str) -> Result<Value, Error> {
    let std = base64::engine::general_purpose::STANDARD;
    let cert = std
        .decode(b64cert)
        .map_err(|_| ferr("unable to decode base64 certificate"))?;
    let key = std
        .decode(b64key)
        .map_err(|_| ferr("unable to decode base64 private key"))?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    if !cert.contains("-----BEGIN ") {
        return Err(ferr("unable to decode certificate"));
    }
    let parsed = keys::parse(&key).map_err(|e| ferr(format!("error parsing private key: {e}")))?;
    rcgen::Issuer::from_ca_cert_pem(&cert, &parsed.pair)
        .map_err(|e| ferr(format!("error parsing certificate: decodedCert.Bytes: {e}")))?;
    Ok(Value::Object(Arc::new(Certificate {
        cert,
        key,
        params: None,
        key_pair: None,
    })))
}

/// bcrypt at Go's default cost, in the `$2a$` form Go writes.
fn bcrypt(input: &str) -> String {
    match bcrypt::hash_with_result(input, 10) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

/// The key Sprig's AES functions use: the password's bytes, cut or zero-padded to 32.
fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password.as_bytes()[..n]);
    key
}

/// Sprig's `encryptAES`: AES-256-CBC with PKCS #7 padding and a random IV, base64 of IV and
/// ciphertext.
fn encrypt_aes(password: &str, plaintext: &str) -> Result<String, Error> {
    use cbc::cipher::{BlockModeEncrypt as _, KeyIvInit as _, block_padding::Pkcs7};
    if plaintext.is_empty() {
        return Ok(String::new());
    }
    let mut iv = [0u8; 16];
    getrandom::fill(&mut iv).map_err(|e| ferr(e.to_string()))?;
    let encryptor = cbc::Encryptor::<aes::Aes256>::new(&aes_key(password).into(), &iv.into());
    let mut out = iv.to_vec();
    out.extend(encryptor.encrypt_padded_vec::<Pkcs7>(plaintext.as_bytes()));
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

/// Sprig's `decryptAES`, with Go's runtime errors where Sprig's code would panic.
fn decrypt_aes(password: &str, crypt64: &str) -> Result<String, Error> {
    use cbc::cipher::{BlockModeDecrypt as _, KeyIvInit as _, block_padding::NoPadding};
    if crypt64.is_empty() {
        return Ok(String::new());
    }
    let crypt = base64::engine::general_purpose::STANDARD
        .decode(crypt64)
        .map_err(|e| ferr(go_base64_error(crypt64, &e)))?;
    if crypt.len() < 16 {
        return Err(ferr(format!(
            "runtime error: slice bounds out of range [:16] with capacity {}",
            crypt.len()
        )));
    }
    let (iv, body) = crypt.split_at(16);
    if body.len() % 16 != 0 {
        return Err(ferr("crypto/cipher: input not full blocks"));
    }
    if body.is_empty() {
        return Err(ferr("runtime error: index out of range [-1]"));
    }
    let iv: [u8; 16] = iv.try_into().map_err(|_| ferr("invalid IV"))?;
    let decryptor = cbc::Decryptor::<aes::Aes256>::new(&aes_key(password).into(), &iv.into());
    let plain = decryptor
        .decrypt_padded_vec::<NoPadding>(body)
        .map_err(|e| ferr(e.to_string()))?;
    let pad = usize::from(plain[plain.len() - 1]);
    if pad > plain.len() {
        return Err(ferr(format!(
            "runtime error: slice bounds out of range [:{}]",
            plain.len() as i64 - pad as i64
        )));
    }
    Ok(String::from_utf8_lossy(&plain[..plain.len() - pad]).into_owned())
}

/// Go's message for invalid base64: the offset of the first bad byte.
fn go_base64_error(input: &str, e: &base64::DecodeError) -> String {
    let at = match e {
        base64::DecodeError::InvalidByte(at, _) | base64::DecodeError::InvalidLastSymbol(at, _) => {
            *at
        }
        _ => input.len(),
    };
    format!("illegal base64 data at input byte {at}")
}

/// The Master Password algorithm's templates (Sprig's `derivePassword`).
fn password_templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

/// The characters each template letter stands for.
fn password_characters(class: u8) -> &'static [u8] {
    match class {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// Sprig's `derivePassword`: the Master Password algorithm (scrypt N=32768, r=8, p=2 over the
/// user name, then HMAC-SHA256 over the site and counter picking a template and characters).
fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    use hmac::{KeyInit as _, Mac as _};
    const SEED: &[u8] = b"com.lyndir.masterpassword";
    let Some(templates) = password_templates(kind) else {
        return format!("cannot find password template {kind}");
    };
    let mut salt = SEED.to_vec();
    salt.extend((user.len() as u32).to_be_bytes());
    salt.extend(user.as_bytes());
    let mut key = [0u8; 64];
    let derived = scrypt::Params::new(15, 8, 2)
        .map_err(|e| e.to_string())
        .and_then(|params| {
            scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key).map_err(|e| e.to_string())
        });
    if let Err(e) = derived {
        return format!("failed to derive password: {e}");
    }
    let mut data = SEED.to_vec();
    data.extend((site.len() as u32).to_be_bytes());
    data.extend(site.as_bytes());
    data.extend(counter.to_be_bytes());
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return "failed to derive password: bad key".to_owned();
    };
    mac.update(&data);
    let seed = mac.finalize().into_bytes();
    let template = templates[usize::from(seed[0]) % templates.len()];
    template
        .bytes()
        .enumerate()
        .map(|(i, class)| {
            let chars = password_characters(class);
            char::from(chars[usize::from(seed[i + 1]) % chars.len()])
        })
        .collect()
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
        let key = match arg_str(&a[0]) {
            "rsa" => keys::rsa(4096).map(|k| k.pem),
            "dsa" => keys::dsa_pem(),
            "ecdsa" => keys::ecdsa().map(|k| k.pem),
            "ed25519" => keys::ed25519().map(|k| k.pem),
            other => return Ok(Value::from(format!("Unknown type {other}"))),
        };
        Ok(Value::from(key.unwrap_or_else(|e| {
            format!("failed to generate private key: {e}")
        })))
    });
    for (name, params) in [
        ("genCA", &[Text, Int][..]),
        ("genCAWithKey", &[Text, Int, Text]),
    ] {
        reg(m, name, params, |a| {
            gen_cert(
                arg_str(&a[0]),
                &Value::Nil,
                &Value::Nil,
                arg_int(&a[1]),
                None,
                true,
                a.get(2).map(arg_str),
            )
        });
    }
    for (name, params) in [
        ("genSelfSignedCert", &[Text, List, List, Int][..]),
        ("genSelfSignedCertWithKey", &[Text, List, List, Int, Text]),
    ] {
        reg(m, name, params, |a| {
            gen_cert(
                arg_str(&a[0]),
                &a[1],
                &a[2],
                arg_int(&a[3]),
                None,
                false,
                a.get(4).map(arg_str),
            )
        });
    }
    reg(m, "buildCustomCert", &[Text, Text], |a| {
        build_custom_cert(arg_str(&a[0]), arg_str(&a[1]))
    });
    for (name, with_key) in [("genSignedCert", false), ("genSignedCertWithKey", true)] {
        let mut params = vec![Text, List, List, Int, Named("sprig.certificate")];
        if with_key {
            params.push(Text);
        }
        let label = name.to_owned();
        reg(m, name, &params, move |a| {
            let ca = match &a[4] {
                Value::Object(o) => o.as_any().and_then(|x| x.downcast_ref::<Certificate>()),
                _ => None,
            };
            let Some(ca) = ca else {
                return Err(ferr(format!(
                    "{label}: pass a certificate from genCA or buildCustomCert"
                )));
            };
            gen_cert(
                arg_str(&a[0]),
                &a[1],
                &a[2],
                arg_int(&a[3]),
                Some(ca),
                false,
                a.get(5).map(arg_str),
            )
        });
    }
    reg(m, "bcrypt", &[Text], |a| {
        Ok(Value::from(bcrypt(arg_str(&a[0]))))
    });
    reg(m, "htpasswd", &[Text, Text], |a| {
        let user = arg_str(&a[0]);
        Ok(Value::from(if user.contains(':') {
            format!("invalid username: {user}")
        } else {
            format!("{user}:{}", bcrypt(arg_str(&a[1])))
        }))
    });
    reg(m, "encryptAES", &[Text, Text], |a| {
        encrypt_aes(arg_str(&a[0]), arg_str(&a[1])).map(Value::from)
    });
    reg(m, "decryptAES", &[Text, Text], |a| {
        decrypt_aes(arg_str(&a[0]), arg_str(&a[1])).map(Value::from)
    });
    reg(
        m,
        "derivePassword",
        &[Uint32, Text, Text, Text, Text],
        |a| {
            let counter = u32::try_from(arg_int(&a[0])).unwrap_or_default();
            Ok(Value::from(derive_password(
                counter,
                arg_str(&a[1]),
                arg_str(&a[2]),
                arg_str(&a[3]),
                arg_str(&a[4]),
            )))
        },
    );
}
