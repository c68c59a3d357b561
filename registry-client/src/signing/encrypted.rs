//! cosign's password-encrypted private keys: the PEM body is a JSON envelope (go-securesystemslib's `encrypted`
//! package, which cosign uses) holding the PKCS#8 DER of the key sealed with NaCl secretbox (XSalsa20-Poly1305)
//! under a key derived from the password by scrypt:
//!
//! ```json
//! {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"<32 bytes, base64>"},
//!  "cipher":{"name":"nacl/secretbox","nonce":"<24 bytes, base64>"},"ciphertext":"<base64>"}
//! ```

use super::keys::KeyError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::aead::{Aead as _, KeyInit as _};
use crypto_secretbox::{Nonce, XSalsa20Poly1305};
use serde::{Deserialize, Serialize};

/// The PEM label cosign writes since 2.0.
pub(super) const LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The PEM label of cosign before 2.0, still read.
pub(super) const OLD_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// cosign's scrypt parameters (N = 2^15, r = 8, p = 1): about 32 MiB and a tenth of a second per derivation.
const LOG_N: u8 = 15;
const R: u32 = 8;
const P: u32 = 1;
/// The largest work factor weld accepts when reading an envelope: N = 2^20 (1 GiB at r = 8).
const MAX_LOG_N: u8 = 20;
/// The most memory scrypt may take reading an envelope (128 · r · N bytes): 1 GiB.
const MAX_MEMORY: u64 = 1 << 30;
/// The largest parallelism weld accepts reading an envelope (cosign writes 1).
const MAX_P: u32 = 16;

#[derive(Serialize, Deserialize)]
struct Envelope {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: Params,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct Params {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

/// Seals `plain` under `password` with fresh salt and nonce: the PEM body of an encrypted key.
pub(super) fn seal(plain: &[u8], password: &[u8]) -> Result<Vec<u8>, KeyError> {
    let mut salt = [0u8; 32];
    let mut nonce = [0u8; 24];
    fill_random(&mut salt);
    fill_random(&mut nonce);
    let key = derive(password, &salt, LOG_N, R, P)?;
    let ciphertext = XSalsa20Poly1305::new(&key.into())
        .encrypt(Nonce::from_slice(&nonce), plain)
        .expect("secretbox seals any input");
    let envelope = Envelope {
        kdf: Kdf {
            name: "scrypt".to_owned(),
            params: Params {
                n: 1 << LOG_N,
                r: R,
                p: P,
            },
            salt: STANDARD.encode(salt),
        },
        cipher: Cipher {
            name: "nacl/secretbox".to_owned(),
            nonce: STANDARD.encode(nonce),
        },
        ciphertext: STANDARD.encode(ciphertext),
    };
    Ok(serde_json::to_vec(&envelope).expect("the envelope serialises"))
}

/// Opens an envelope with `password`: the PKCS#8 DER inside.
pub(super) fn open(body: &[u8], password: &[u8]) -> Result<Vec<u8>, KeyError> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| malformed("not cosign's JSON envelope", e))?;
    if envelope.kdf.name != "scrypt" || envelope.cipher.name != "nacl/secretbox" {
        return Err(unsupported(format!(
            "kdf `{}` and cipher `{}`; cosign's keys use scrypt and nacl/secretbox",
            envelope.kdf.name, envelope.cipher.name
        )));
    }
    let params = &envelope.kdf.params;
    let log_n = match params.n {
        n if n.is_power_of_two() && n > 1 && n.trailing_zeros() <= MAX_LOG_N as u32 => {
            n.trailing_zeros() as u8
        }
        n => {
            return Err(unsupported(format!(
                "scrypt N = {n}: weld takes a power of two up to 2^{MAX_LOG_N}"
            )));
        }
    };
    if params.r == 0
        || params.p == 0
        || params.p > MAX_P
        || 128 * u64::from(params.r) * (1u64 << log_n) > MAX_MEMORY
    {
        return Err(unsupported(format!(
            "scrypt r = {}, p = {} with N = 2^{log_n}: weld takes at most 1 GiB of work memory and p up to {MAX_P}",
            params.r, params.p
        )));
    }
    let bytes = |what: &str, text: &str| {
        STANDARD
            .decode(text)
            .map_err(|e| malformed(&format!("the {what} is not base64"), e))
    };
    let salt = bytes("salt", &envelope.kdf.salt)?;
    let nonce = bytes("nonce", &envelope.cipher.nonce)?;
    let ciphertext = bytes("ciphertext", &envelope.ciphertext)?;
    if nonce.len() != 24 {
        return Err(unsupported(format!(
            "the nonce has {} bytes, secretbox takes 24",
            nonce.len()
        )));
    }
    let key = derive(password, &salt, log_n, params.r, params.p)?;
    XSalsa20Poly1305::new(&key.into())
        .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
        .map_err(|_| KeyError::WrongPassword)
}

/// The 32-byte secretbox key scrypt derives from `password`.
fn derive(password: &[u8], salt: &[u8], log_n: u8, r: u32, p: u32) -> Result<[u8; 32], KeyError> {
    let params = scrypt::Params::new(log_n, r, p, 32).map_err(|e| {
        unsupported(format!(
            "its scrypt parameters (log2 N = {log_n}, r = {r}, p = {p}) are invalid: {e}"
        ))
    })?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password, salt, &params, &mut key).expect("32 bytes is a valid output length");
    Ok(key)
}

fn malformed(message: &str, source: impl std::error::Error + Send + Sync + 'static) -> KeyError {
    KeyError::Envelope {
        message: message.to_owned(),
        source: Some(Box::new(source)),
    }
}

fn unsupported(message: String) -> KeyError {
    KeyError::Envelope {
        message,
        source: None,
    }
}

fn fill_random(bytes: &mut [u8]) {
    use rand_core::RngCore as _;
    rand_core::OsRng.fill_bytes(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_envelope_opens_with_its_password_only() {
        let sealed = seal(b"secret bytes", b"pw").unwrap();
        let text = String::from_utf8(sealed.clone()).unwrap();
        assert!(
            text.contains(r#""N":32768"#) && text.contains("nacl/secretbox"),
            "{text}"
        );
        assert_eq!(open(&sealed, b"pw").unwrap(), b"secret bytes");
        assert!(matches!(open(&sealed, b"pW"), Err(KeyError::WrongPassword)));
        assert!(matches!(open(b"{}", b"pw"), Err(KeyError::Envelope { .. })));
    }

    #[test]
    fn an_absurd_work_factor_is_refused_before_any_work() {
        let sealed = String::from_utf8(seal(b"x", b"pw").unwrap()).unwrap();
        let huge = sealed.replace(r#""N":32768"#, r#""N":4294967296"#);
        assert!(matches!(
            open(huge.as_bytes(), b"pw"),
            Err(KeyError::Envelope { .. })
        ));
    }
}
