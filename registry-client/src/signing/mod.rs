//! Signatures in cosign's format, so that weld, cosign and any verifier that follows cosign's specification agree
//! on what a signature is: ECDSA P-256 keys in PEM ([`PrivateKey`], [`PublicKey`]), the Simple Signing payload
//! ([`SimpleSigning`]) and where signatures are stored ([`signature_tag`]). The registry side is
//! [`Registry::sign`](crate::Registry::sign) and [`Registry::verify`](crate::Registry::verify).

mod encrypted;
mod keys;
mod payload;

pub use keys::{KeyError, PrivateKey, PublicKey};
pub use payload::{
    Critical, Identity, Image, PAYLOAD_MEDIA_TYPE, SIGNATURE_ANNOTATION, SIGNATURE_TYPE,
    SimpleSigning, signature_tag,
};
pub(crate) use payload::{SIGNATURE_CONFIG_MEDIA_TYPE, signature_config};
