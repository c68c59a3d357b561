//! ECDSA P-256 key pairs in the PEM forms cosign and OpenSSL write: public keys as SPKI (`PUBLIC KEY`), private
//! keys as PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) or cosign's password-encrypted form
//! (`ENCRYPTED SIGSTORE PRIVATE KEY`, older `ENCRYPTED COSIGN PRIVATE KEY`; see [`super::encrypted`]).

use super::encrypted;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _};
use p256::pkcs8::{EncodePublicKey as _, LineEnding};
use pem_rfc7468 as pem;

/// PEM label of an unencrypted PKCS#8 private key.
const PKCS8_LABEL: &str = "PRIVATE KEY";
/// PEM label of a SEC1 EC private key (`openssl ecparam -genkey`).
const SEC1_LABEL: &str = "EC PRIVATE KEY";
/// PEM label of a PKCS#8 key encrypted by OpenSSL (PBES2), which weld does not read.
const PKCS8_ENCRYPTED_LABEL: &str = "ENCRYPTED PRIVATE KEY";
/// PEM label of a public key.
const PUBLIC_LABEL: &str = "PUBLIC KEY";

/// Why a key cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not PEM.
    #[error("not a PEM key")]
    NotPem(#[source] pem::Error),
    /// A PEM block of another kind (a certificate, an RSA key).
    #[error("a PEM `{found}` block, not {expected}")]
    Label {
        /// The label found.
        found: String,
        /// What was expected, in words.
        expected: &'static str,
    },
    /// The key is not an ECDSA P-256 key, or its encoding is broken.
    #[error("not an ECDSA P-256 key (cosign's keys are P-256)")]
    NotP256(#[source] p256::pkcs8::Error),
    /// A well-formed key of another algorithm or curve.
    #[error("{found}, not an ECDSA P-256 key (cosign's keys are P-256)")]
    Algorithm {
        /// What it is: `an RSA key`, `an Ed25519 key`, `an EC key on curve P-384`.
        found: String,
    },
    /// A SEC1 key that does not decode.
    #[error("not an ECDSA P-256 key in SEC1 form")]
    BadSec1(#[source] p256::elliptic_curve::Error),
    /// An encrypted key and no password to open it.
    #[error("the key is encrypted and no password was given")]
    NeedsPassword,
    /// The password does not open the key (or the ciphertext was changed).
    #[error("the password does not decrypt the key")]
    WrongPassword,
    /// An encrypted key whose envelope weld cannot read.
    #[error("the encrypted key's envelope is malformed: {message}")]
    Envelope {
        /// What is wrong.
        message: String,
        /// The decoder's error, if one said so.
        #[source]
        source: Option<crate::BoxError>,
    },
    /// An OpenSSL-encrypted PKCS#8 key.
    #[error(
        "an OpenSSL-encrypted PKCS#8 key, which weld does not read: decrypt it, or use a key cosign or weld generated"
    )]
    OpenSslEncrypted,
}

/// `text` without a leading `EC PARAMETERS` block, which `openssl ecparam -genkey` writes before the key.
fn without_ec_parameters(text: &str) -> &str {
    const END: &str = "-----END EC PARAMETERS-----";
    let text = text.trim();
    match text.strip_prefix("-----BEGIN EC PARAMETERS-----") {
        Some(rest) => rest.split_once(END).map_or(text, |(_, key)| key.trim()),
        None => text,
    }
}

/// An error naming the algorithm (and curve) of a key that is not ECDSA P-256; `Ok` for P-256 (or what cannot
/// be told, left to the decoder).
fn check_algorithm(
    algorithm: &p256::pkcs8::spki::AlgorithmIdentifierRef<'_>,
) -> Result<(), KeyError> {
    let found = match algorithm.oid.to_string().as_str() {
        "1.2.840.10045.2.1" => match algorithm.parameters_oid().map(|o| o.to_string()) {
            Ok(curve) if curve == "1.2.840.10045.3.1.7" => return Ok(()),
            Ok(curve) => {
                let name = match curve.as_str() {
                    "1.3.132.0.34" => "P-384".to_owned(),
                    "1.3.132.0.35" => "P-521".to_owned(),
                    "1.3.132.0.10" => "secp256k1".to_owned(),
                    other => other.to_owned(),
                };
                format!("an EC key on curve {name}")
            }
            Err(_) => return Ok(()),
        },
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => "an RSA key".to_owned(),
        "1.3.101.112" => "an Ed25519 key".to_owned(),
        "1.3.101.113" => "an Ed448 key".to_owned(),
        "1.2.840.10040.4.1" => "a DSA key".to_owned(),
        other => format!("a key of algorithm {other}"),
    };
    Err(KeyError::Algorithm { found })
}

/// A private key that signs: ECDSA P-256 with SHA-256, as cosign signs.
#[derive(Clone)]
pub struct PrivateKey(SigningKey);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({})", self.public().id())
    }
}

impl PrivateKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> PrivateKey {
        PrivateKey(SigningKey::random(&mut rand_core::OsRng))
    }

    /// Reads a PEM private key: PKCS#8, SEC1, or cosign's encrypted form, which needs `password` (cosign's
    /// `COSIGN_PASSWORD`; an empty password is a password).
    pub fn from_pem(text: &str, password: Option<&[u8]>) -> Result<PrivateKey, KeyError> {
        let (label, der) =
            pem::decode_vec(without_ec_parameters(text).as_bytes()).map_err(KeyError::NotPem)?;
        let key = match label {
            PKCS8_LABEL => {
                if let Ok(info) = p256::pkcs8::PrivateKeyInfo::try_from(der.as_slice()) {
                    check_algorithm(&info.algorithm)?;
                }
                SigningKey::from_pkcs8_der(&der).map_err(KeyError::NotP256)?
            }
            SEC1_LABEL => p256::SecretKey::from_sec1_der(&der)
                .map(SigningKey::from)
                .map_err(KeyError::BadSec1)?,
            encrypted::LABEL | encrypted::OLD_LABEL => {
                let password = password.ok_or(KeyError::NeedsPassword)?;
                let plain = encrypted::open(&der, password)?;
                SigningKey::from_pkcs8_der(&plain).map_err(KeyError::NotP256)?
            }
            PKCS8_ENCRYPTED_LABEL => return Err(KeyError::OpenSslEncrypted),
            other => {
                return Err(KeyError::Label {
                    found: other.to_owned(),
                    expected: "a private key",
                });
            }
        };
        Ok(PrivateKey(key))
    }

    /// The key as PEM: with a password, in cosign's encrypted form (`ENCRYPTED SIGSTORE PRIVATE KEY`, scrypt with
    /// cosign's parameters, so `cosign sign --key` reads it); without one, as plain PKCS#8 (`PRIVATE KEY`), which
    /// only the file's permissions protect.
    pub fn to_pem(&self, password: Option<&[u8]>) -> Result<String, KeyError> {
        let der = self.0.to_pkcs8_der().map_err(KeyError::NotP256)?;
        let (label, body) = match password {
            Some(password) => (encrypted::LABEL, encrypted::seal(der.as_bytes(), password)?),
            None => (PKCS8_LABEL, der.as_bytes().to_vec()),
        };
        Ok(pem::encode_string(label, LineEnding::LF, &body).expect("a key's bytes encode as PEM"))
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(*self.0.verifying_key())
    }

    /// The ASN.1 DER signature of `payload` (ECDSA P-256 over its SHA-256, deterministic per RFC 6979): the bytes
    /// cosign base64-encodes into its signature annotation.
    pub fn sign(&self, payload: &[u8]) -> Vec<u8> {
        let signature: DerSignature = self.0.sign(payload);
        signature.as_bytes().to_vec()
    }
}

/// A public key that verifies signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads a PEM public key (`PUBLIC KEY`, SubjectPublicKeyInfo), as `cosign generate-key-pair` and
    /// `openssl ec -pubout` write it.
    pub fn from_pem(text: &str) -> Result<PublicKey, KeyError> {
        let label = pem::decode_label(text.trim().as_bytes()).map_err(KeyError::NotPem)?;
        if label != PUBLIC_LABEL {
            return Err(KeyError::Label {
                found: label.to_owned(),
                expected: "a public key (`PUBLIC KEY`)",
            });
        }
        let (_, der) = pem::decode_vec(text.trim().as_bytes()).map_err(KeyError::NotPem)?;
        if let Ok(info) = p256::pkcs8::spki::SubjectPublicKeyInfoRef::try_from(der.as_slice()) {
            check_algorithm(&info.algorithm)?;
        }
        VerifyingKey::from_public_key_pem(text.trim())
            .map(PublicKey)
            .map_err(|e| match e {
                p256::pkcs8::spki::Error::KeyMalformed => {
                    KeyError::NotP256(p256::pkcs8::Error::KeyMalformed)
                }
                other => KeyError::NotP256(p256::pkcs8::Error::PublicKey(other)),
            })
    }

    /// The key as PEM (`PUBLIC KEY`).
    pub fn to_pem(&self) -> String {
        self.0
            .to_public_key_pem(LineEnding::LF)
            .expect("a P-256 public key encodes")
    }

    /// A short name for the key: `sha256:` and the first 16 hex digits of the SHA-256 of its DER encoding (what
    /// `openssl pkey -pubin -outform der | sha256sum` starts with).
    pub fn id(&self) -> String {
        let der = self
            .0
            .to_public_key_der()
            .expect("a P-256 public key encodes");
        let digest = crate::digest::of(der.as_bytes());
        digest[..7 + 16].to_owned()
    }

    /// True if `signature` (ASN.1 DER) is this key's signature of `payload`.
    pub fn verifies(&self, payload: &[u8], signature: &[u8]) -> bool {
        Signature::from_der(signature).is_ok_and(|s| self.0.verify(payload, &s).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_what_its_public_key_verifies_and_nothing_else() {
        let key = PrivateKey::generate();
        let public = PublicKey::from_pem(&key.public().to_pem()).unwrap();
        let signature = key.sign(b"payload");
        assert!(public.verifies(b"payload", &signature));
        assert!(!public.verifies(b"payload!", &signature));
        assert!(
            !PrivateKey::generate()
                .public()
                .verifies(b"payload", &signature)
        );
        assert!(!public.verifies(b"payload", b"not DER"));
    }

    #[test]
    fn private_keys_round_trip_through_pem_plain_and_encrypted() {
        let key = PrivateKey::generate();
        let plain = key.to_pem(None).unwrap();
        assert!(plain.starts_with("-----BEGIN PRIVATE KEY-----"));
        let back = PrivateKey::from_pem(&plain, None).unwrap();
        assert_eq!(back.public(), key.public());

        let sealed = key.to_pem(Some(b"hunter2")).unwrap();
        assert!(sealed.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
        assert_eq!(
            PrivateKey::from_pem(&sealed, Some(b"hunter2"))
                .unwrap()
                .public(),
            key.public()
        );
        assert!(matches!(
            PrivateKey::from_pem(&sealed, Some(b"hunter3")),
            Err(KeyError::WrongPassword)
        ));
        assert!(matches!(
            PrivateKey::from_pem(&sealed, None),
            Err(KeyError::NeedsPassword)
        ));
    }

    #[test]
    fn keys_of_the_wrong_kind_are_named() {
        let key = PrivateKey::generate();
        assert!(matches!(
            PublicKey::from_pem(&key.to_pem(None).unwrap()),
            Err(KeyError::Label { .. })
        ));
        assert!(matches!(
            PrivateKey::from_pem(&key.public().to_pem(), None),
            Err(KeyError::Label { .. })
        ));
        assert!(matches!(
            PublicKey::from_pem("hello"),
            Err(KeyError::NotPem(_))
        ));
        // An Ed25519 public key (RFC 8410's example) is valid SPKI, not P-256.
        let ed25519 = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        let err = PublicKey::from_pem(ed25519).unwrap_err();
        assert_eq!(
            err.to_string(),
            "an Ed25519 key, not an ECDSA P-256 key (cosign's keys are P-256)"
        );
    }

    #[test]
    fn sec1_keys_as_openssl_writes_them_are_read() {
        let key = PrivateKey::generate();
        let secret = p256::SecretKey::from(&key.0);
        let sec1 = secret.to_sec1_pem(LineEnding::LF).unwrap();
        assert!(sec1.starts_with("-----BEGIN EC PRIVATE KEY-----"));
        assert_eq!(
            PrivateKey::from_pem(&sec1, None).unwrap().public(),
            key.public()
        );
        // `openssl ecparam -name prime256v1 -genkey` writes the curve's parameters first.
        let with_parameters = format!(
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
            sec1.as_str()
        );
        assert_eq!(
            PrivateKey::from_pem(&with_parameters, None)
                .unwrap()
                .public(),
            key.public()
        );
    }
}
