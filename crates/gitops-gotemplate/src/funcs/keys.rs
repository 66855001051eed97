//! Private keys as Sprig makes and reads them: RSA keys in PKCS #1 PEM (`RSA PRIVATE KEY`),
//! ECDSA P-256 keys in SEC 1 PEM (`EC PRIVATE KEY`), Ed25519 keys in PKCS #8 PEM
//! (`PRIVATE KEY`) and DSA keys in OpenSSL's PEM (`DSA PRIVATE KEY`).
//!
//! RSA, ECDSA and DSA keys are generated with the RustCrypto crates; certificates are signed
//! with rcgen, which (on ring) takes keys in PKCS #8 only, so keys are converted for it.

use der::Encode as _;
use rsa::Generate as _;
use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPrivateKey as _};
use rsa::pkcs8::{EncodePrivateKey as _, LineEnding};

/// A private key: the PEM Sprig prints, and the key pair rcgen signs with.
pub(crate) struct Key {
    pub pem: String,
    pub pair: rcgen::KeyPair,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(***)")
    }
}

/// The operating system's random numbers.
fn rng() -> rsa::rand_core::UnwrapErr<getrandom::SysRng> {
    rsa::rand_core::UnwrapErr(getrandom::SysRng)
}

fn pkcs8_pair(der: &[u8]) -> Result<rcgen::KeyPair, String> {
    rcgen::KeyPair::try_from(der).map_err(|e| e.to_string())
}

/// A key from its PEM and its PKCS #8 DER.
fn key(pem: Result<String, String>, pkcs8: Result<Vec<u8>, String>) -> Result<Key, String> {
    Ok(Key {
        pem: pem?,
        pair: pkcs8_pair(&pkcs8?)?,
    })
}

/// A new RSA key of `bits` bits (Sprig: 2048 for certificates, 4096 for `genPrivateKey`).
pub(crate) fn rsa(bits: usize) -> Result<Key, String> {
    let k = rsa::PrivateKey::new(&mut rng(), bits).map_err(|e| e.to_string())?;
    key(
        k.to_pkcs1_pem(LineEnding::LF)
            .map(|p| p.to_string())
            .map_err(|e| e.to_string()),
        k.to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|e| e.to_string()),
    )
}

/// A new ECDSA P-256 key.
pub(crate) fn ecdsa() -> Result<Key, String> {
    let k = p256::SecretKey::generate_from_rng(&mut rng());
    key(
        k.to_sec1_pem(LineEnding::LF)
            .map(|p| p.to_string())
            .map_err(|e| e.to_string()),
        k.to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|e| e.to_string()),
    )
}

/// A new Ed25519 key.
pub(crate) fn ed25519() -> Result<Key, String> {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(|e| e.to_string())?;
    Ok(Key {
        pem: pair.serialize_pem(),
        pair,
    })
}

/// A new DSA key (L = 2048, N = 256, as Sprig's), in OpenSSL's `DSA PRIVATE KEY` form:
/// SEQUENCE { version 0, p, q, g, y, x }. DSA keys cannot sign certificates here.
pub(crate) fn dsa_pem() -> Result<String, String> {
    let mut rng = rng();
    let components =
        dsa::Components::try_generate_from_rng_with_key_size(&mut rng, dsa::KeySize::DSA_2048_256)
            .map_err(|e| format!("{e:?}"))?;
    let key = dsa::SigningKey::try_generate_from_rng_with_components(&mut rng, components)
        .map_err(|e| format!("{e:?}"))?;
    let public = key.verifying_key();
    let parts = public.components();
    let numbers = [
        vec![0u8],
        parts.p().to_be_bytes().to_vec(),
        parts.q().to_be_bytes().to_vec(),
        parts.g().to_be_bytes().to_vec(),
        public.y().to_be_bytes().to_vec(),
        key.x().to_be_bytes().to_vec(),
    ];
    let ints = numbers
        .iter()
        .map(|n| der::asn1::Uint::new(n))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let der = ints.to_der().map_err(|e| e.to_string())?;
    Ok(pem_encode("DSA PRIVATE KEY", &der))
}

/// PEM with 64-character lines, as Go's `pem.EncodeToMemory` writes it.
fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Reads a private key in PEM (`RSA PRIVATE KEY`, `EC PRIVATE KEY` for P-256, or PKCS #8
/// `PRIVATE KEY`), as Sprig's `…WithKey` functions and `buildCustomCert` do.
pub(crate) fn parse(pem: &str) -> Result<Key, String> {
    let label = pem
        .trim_start()
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.split_once("-----"))
        .map(|(label, _)| label)
        .ok_or("error decoding pem: no PEM data found")?;
    let der = match label {
        "RSA PRIVATE KEY" => rsa::PrivateKey::from_pkcs1_pem(pem)
            .map_err(|e| format!("error parsing RSA private key: {e}"))?
            .to_pkcs8_der()
            .map_err(|e| e.to_string())?
            .as_bytes()
            .to_vec(),
        "EC PRIVATE KEY" => p256::SecretKey::from_sec1_pem(pem)
            .map_err(|e| format!("error parsing EC private key (P-256 only): {e}"))?
            .to_pkcs8_der()
            .map_err(|e| e.to_string())?
            .as_bytes()
            .to_vec(),
        "PRIVATE KEY" => {
            let pair = rcgen::KeyPair::from_pem(pem)
                .map_err(|e| format!("error parsing private key: {e}"))?;
            return Ok(Key {
                pem: pem.to_owned(),
                pair,
            });
        }
        other => return Err(format!("unsupported key type {other:?}")),
    };
    Ok(Key {
        pem: pem.to_owned(),
        pair: pkcs8_pair(&der)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_sprig_pem_labels_and_read_back() {
        for (key, label) in [
            (rsa(2048).map(|k| k.pem), "RSA PRIVATE KEY"),
            (ecdsa().map(|k| k.pem), "EC PRIVATE KEY"),
            (ed25519().map(|k| k.pem), "PRIVATE KEY"),
        ] {
            let pem = key.unwrap();
            assert!(
                pem.starts_with(&format!("-----BEGIN {label}-----\n")),
                "{pem}"
            );
            assert!(pem.ends_with(&format!("-----END {label}-----\n")), "{pem}");
            let back = parse(&pem).unwrap();
            assert_eq!(back.pem, pem);
        }
        let dsa = dsa_pem().unwrap();
        assert!(
            dsa.starts_with("-----BEGIN DSA PRIVATE KEY-----\nMII"),
            "{dsa}"
        );
        assert!(parse(&dsa).unwrap_err().contains("DSA PRIVATE KEY"));
        assert!(parse("garbage").is_err());
    }
}
