//! How weld connects to a registry: HTTPS with the system's roots (plus `--ca-file`), or plain HTTP with
//! `--insecure` and, by default, for registries on the loopback interface.

use crate::error::RegistryError;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use std::path::PathBuf;
use std::time::Duration;

/// Connection settings shared by every registry of a session.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// Plain HTTP for every registry (`--insecure`).
    pub insecure: bool,
    /// A PEM file of CA certificates trusted besides the system's (`--ca-file`). It also makes loopback
    /// registries use HTTPS.
    pub ca_file: Option<PathBuf>,
    /// How long a read may stall before the transfer fails; 60 seconds if not set.
    pub read_timeout: Option<Duration>,
}

/// How long to wait for a connection, and for each read from one.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

impl Transport {
    /// True if `registry` is spoken to over plain HTTP.
    pub fn plain_http(&self, registry: &str) -> bool {
        self.insecure || (self.ca_file.is_none() && is_loopback(registry))
    }

    /// The URL scheme for `registry`.
    pub(crate) fn scheme(&self, registry: &str) -> &'static str {
        if self.plain_http(registry) {
            "http"
        } else {
            "https"
        }
    }

    /// A client for `registry`.
    pub(crate) fn client(&self, registry: &str) -> Result<oci_client::Client, RegistryError> {
        // reqwest is built without a default crypto provider; ring is the one weld links.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut extra_root_certificates = Vec::new();
        if let Some(path) = &self.ca_file {
            let data = std::fs::read(path).map_err(|e| RegistryError::file(path, e))?;
            if !String::from_utf8_lossy(&data).contains("-----BEGIN CERTIFICATE-----") {
                return Err(RegistryError::file(
                    path,
                    "not a PEM certificate file (no `-----BEGIN CERTIFICATE-----`)",
                ));
            }
            extra_root_certificates.push(Certificate {
                encoding: CertificateEncoding::Pem,
                data,
            });
        }
        let config = ClientConfig {
            protocol: if self.plain_http(registry) {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            extra_root_certificates,
            // One PUT per blob, streamed: fewer round trips than chunked uploads, and every registry takes it.
            use_monolithic_push: true,
            platform_resolver: None,
            connect_timeout: Some(CONNECT_TIMEOUT),
            read_timeout: Some(self.read_timeout.unwrap_or(READ_TIMEOUT)),
            user_agent: concat!("weld/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        };
        oci_client::Client::try_from(config).map_err(|e| match &self.ca_file {
            Some(path) => RegistryError::file(path, e),
            None => RegistryError::Tls {
                registry: registry.to_owned(),
                source: Box::new(e),
            },
        })
    }
}

/// `localhost`, `127.x.y.z` or `::1`, with or without a port.
fn is_loopback(registry: &str) -> bool {
    let host = match registry.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => registry,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries_default_to_plain_http() {
        let default = Transport::default();
        for plain in ["localhost:5000", "127.0.0.1:5000", "127.1.2.3", "localhost"] {
            assert!(default.plain_http(plain), "{plain}");
        }
        for tls in ["ghcr.io", "registry.example:5000", "localhost.example.com"] {
            assert!(!default.plain_http(tls), "{tls}");
        }
        let with_ca = Transport {
            ca_file: Some("ca.pem".into()),
            ..Transport::default()
        };
        assert!(!with_ca.plain_http("127.0.0.1:5000"));
        let insecure = Transport {
            insecure: true,
            ..Transport::default()
        };
        assert!(insecure.plain_http("ghcr.io"));
    }
}
