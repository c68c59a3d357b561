//! weld's annotations on a container: the grants and limits a pod asks for beyond its spec, each in the syntax of
//! the `weld run` flag it is named after. In Kubernetes they are the pod's annotations, which containerd's CRI
//! copies into the spec of the pod's sandbox and of each of its containers when the runtime's `pod_annotations`
//! lists them (docs/kubernetes.md).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use weld_runtime::{AddressRanges, HttpHosts};

/// Sockets and name lookups (`--allow-net`): comma-separated addresses and CIDR ranges, or empty for any address.
pub const ALLOW_NET: &str = "weld.dev/allow-net";
/// Outgoing HTTP requests (`--allow-http`): comma-separated `host` or `host:port`, or empty for any host.
pub const ALLOW_HTTP: &str = "weld.dev/allow-http";
/// Wall-clock time (`--timeout`, such as `500ms` or `2s`): a command's whole run, each request of a handler.
pub const TIMEOUT: &str = "weld.dev/timeout";
/// Memory (`--max-memory`, such as `64MiB`): a command's (never above what its cgroup leaves), each request's
/// instance of a handler.
pub const MAX_MEMORY: &str = "weld.dev/max-memory";

/// Every annotation weld reads; another with the `weld.dev/` prefix is a mistake, refused rather than ignored.
const KNOWN: [&str; 4] = [ALLOW_NET, ALLOW_HTTP, TIMEOUT, MAX_MEMORY];
/// The prefix of weld's annotations.
const PREFIX: &str = "weld.dev/";

/// The texts of weld's annotations on one container, by name. The shim's server process carries them from the
/// admission at `start` to the container in the variable [`Asked::VAR`], as JSON.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asked(BTreeMap<String, String>);

/// What weld's annotations grant, as values.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Granted {
    /// [`ALLOW_NET`].
    pub net: Option<AddressRanges>,
    /// [`ALLOW_HTTP`].
    pub http: Option<HttpHosts>,
    /// [`TIMEOUT`].
    pub timeout: Option<Duration>,
    /// [`MAX_MEMORY`], in bytes.
    pub max_memory: Option<u64>,
}

/// An annotation weld cannot take.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the annotation `{name}` {reason}")]
pub struct BadAnnotation {
    /// The annotation's name.
    pub name: String,
    /// What is wrong with it or its value.
    pub reason: String,
}

impl Asked {
    /// The variable of the shim's server process that holds them.
    pub const VAR: &str = "WELD_SHIM_ANNOTATIONS";

    /// weld's annotations among a spec's `annotations`.
    ///
    /// # Errors
    /// An annotation with weld's prefix that weld does not know.
    pub fn from_annotations(all: &BTreeMap<String, String>) -> Result<Asked, BadAnnotation> {
        let mut asked = BTreeMap::new();
        for (name, value) in all.range(PREFIX.to_owned()..) {
            if !name.starts_with(PREFIX) {
                break;
            }
            if !KNOWN.contains(&name.as_str()) {
                return Err(BadAnnotation {
                    name: name.clone(),
                    reason: format!("is not one of weld's: {}", KNOWN.join(", ")),
                });
            }
            asked.insert(name.clone(), value.clone());
        }
        Ok(Asked(asked))
    }

    /// What the annotations grant.
    ///
    /// # Errors
    /// A value that does not parse as its flag's.
    pub fn granted(&self) -> Result<Granted, BadAnnotation> {
        Ok(Granted {
            net: self.value(ALLOW_NET, str::parse)?,
            http: self.value(ALLOW_HTTP, str::parse)?,
            timeout: self.value(TIMEOUT, weld_cli::values::parse_duration)?,
            max_memory: self.value(MAX_MEMORY, weld_cli::values::parse_size)?,
        })
    }

    /// The annotation `name` parsed by `parse`.
    fn value<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, BadAnnotation> {
        self.0
            .get(name)
            .map(|text| parse(text))
            .transpose()
            .map_err(|reason| BadAnnotation {
                name: name.to_owned(),
                reason: format!("is not what weld can take: {reason}"),
            })
    }

    /// The annotations as the value of [`Asked::VAR`].
    pub fn to_var(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    /// The annotations from the value of [`Asked::VAR`] (none when it is absent).
    ///
    /// # Errors
    /// The value is not what [`Asked::to_var`] writes.
    pub fn from_var(value: Option<&str>) -> Result<Asked, serde_json::Error> {
        value.map_or(Ok(Asked::default()), |text| {
            serde_json::from_str(text).map(Asked)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(pairs: &[(&str, &str)]) -> Result<Asked, BadAnnotation> {
        let all = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Asked::from_annotations(&all)
    }

    #[test]
    fn welds_annotations_become_values_and_others_are_left_alone() {
        let asked = asked(&[
            ("io.kubernetes.cri.container-type", "container"),
            (ALLOW_NET, "10.0.0.0/8,127.0.0.1"),
            (ALLOW_HTTP, ""),
            (TIMEOUT, "1m30s"),
            (MAX_MEMORY, "64MiB"),
            ("zz.example/other", "x"),
        ])
        .unwrap();
        let granted = asked.granted().unwrap();
        assert_eq!(granted.net, Some("10.0.0.0/8,127.0.0.1".parse().unwrap()));
        assert_eq!(granted.http, Some(HttpHosts::default()));
        assert_eq!(granted.timeout, Some(Duration::from_secs(90)));
        assert_eq!(granted.max_memory, Some(64 << 20));
        let carried = Asked::from_var(Some(&asked.to_var())).unwrap();
        assert_eq!(carried, asked);
        assert_eq!(
            Asked::from_var(None).unwrap().granted().unwrap(),
            Granted::default()
        );
    }

    #[test]
    fn a_value_that_does_not_parse_or_an_unknown_name_is_refused_by_name() {
        let bad = asked(&[(ALLOW_NET, "everywhere")])
            .unwrap()
            .granted()
            .unwrap_err();
        assert_eq!(bad.name, ALLOW_NET);
        assert!(
            bad.to_string().contains("`everywhere` is not an address"),
            "{bad}"
        );
        let bad = asked(&[(TIMEOUT, "0s")]).unwrap().granted().unwrap_err();
        assert_eq!(bad.name, TIMEOUT);
        let bad = asked(&[("weld.dev/allow-nett", "")]).unwrap_err();
        assert!(bad.to_string().contains("is not one of weld's"), "{bad}");
    }
}
