//! `sha256:<hex>` content digests, of bytes at once or of a stream.

use sha2::{Digest as _, Sha256};

/// The digest of `bytes`.
pub(crate) fn of(bytes: &[u8]) -> String {
    let mut hasher = Hasher::default();
    hasher.update(bytes);
    hasher.finish()
}

/// A digest computed as the bytes go by.
#[derive(Default)]
pub(crate) struct Hasher(Sha256);

impl Hasher {
    /// Adds `bytes`.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest of everything added.
    pub(crate) fn finish(self) -> String {
        let hash = self.0.finalize();
        let mut out = String::with_capacity(7 + 64);
        out.push_str("sha256:");
        for byte in hash {
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }
}

/// The hex part of a `sha256:<hex>` digest, if it is one.
pub(crate) fn hex(digest: &str) -> Option<&str> {
    digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

#[cfg(test)]
mod tests {
    #[test]
    fn digests_are_sha256_in_lowercase_hex() {
        let d = super::of(b"");
        assert_eq!(
            d,
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(super::hex(&d).is_some());
        assert!(super::hex("sha256:../../etc/passwd").is_none());
        assert!(super::hex("sha512:00").is_none());
    }
}
