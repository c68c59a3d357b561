//! A lockfile for compositions (`weld compose --lock weld.lock`): every input a composition was built from (each
//! file with its SHA-256, each registry or layout reference with the manifest and layer digests it resolved to), the options
//! that shape the output, the weld version and the output's digest. Stored as JSON. [`Lock::drift`] compares a
//! lock with what a composition is about to use and names every difference, so that `--locked` can refuse before
//! composing.

use crate::request::{Closed, Options};
use serde::{Deserialize, Serialize};

/// The format version this crate writes and reads.
pub const LOCK_VERSION: u32 = 1;

/// A composition's lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Lock {
    /// [`LOCK_VERSION`].
    pub version: u32,
    /// The version of weld that wrote it.
    pub weld: String,
    /// The compose file, when the composition came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Locked>,
    /// The inputs, root first, in the order they were given.
    pub inputs: Vec<Locked>,
    /// The options that shape the output.
    pub options: LockedOptions,
    /// The composed component.
    pub output: LockedOutput,
}

/// One input, as it was when locked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Locked {
    /// A file: its path as given and the SHA-256 of its bytes (`sha256:<hex>`).
    File {
        /// The path as given.
        name: String,
        /// `sha256:<hex>` of the file's bytes.
        sha256: String,
    },
    /// A package a `.wac` document names (`ns:name[@version]`), and the SHA-256 of the bytes it was read as
    /// ([`Composition::packages`](crate::Composition::packages)).
    Package {
        /// The package's name.
        name: String,
        /// `sha256:<hex>` of its bytes.
        sha256: String,
    },
    /// An artifact reference (a registry's `oci://host/repo:tag`, an OCI layout's `oci:DIR:tag`) and what it
    /// resolved to.
    Artifact {
        /// The reference as given.
        name: String,
        /// The manifest digest it resolved to: what `--locked` fetches.
        manifest: String,
        /// The component's digest.
        layer: String,
    },
}

impl Locked {
    /// The input as given.
    pub fn name(&self) -> &str {
        match self {
            Locked::File { name, .. }
            | Locked::Package { name, .. }
            | Locked::Artifact { name, .. } => name,
        }
    }
}

/// The options of [`Options`] that change the output, in a stable written form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct LockedOptions {
    /// Explicit wiring, `(import, plug)`, in order.
    pub wires: Vec<(String, String)>,
    /// `no`, `non-wasi` or `all`.
    pub closed: String,
    /// `--no-merge-imports`.
    #[serde(alias = "no_merge_imports")]
    pub no_merge_imports: bool,
}

impl LockedOptions {
    /// The written form of `options`.
    pub fn of(options: &Options) -> LockedOptions {
        LockedOptions {
            wires: options.wires.clone(),
            closed: match options.closed {
                Closed::No => "no",
                Closed::NonWasi => "non-wasi",
                Closed::All => "all",
            }
            .to_owned(),
            no_merge_imports: options.no_merge_imports,
        }
    }
}

/// The composed component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct LockedOutput {
    /// `sha256:<hex>` of its bytes.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

impl LockedOutput {
    /// The digest and size of `composition`'s component, read from its pieces.
    pub fn of(composition: &crate::Composition) -> LockedOutput {
        LockedOutput {
            sha256: sha256_of(composition.pieces()),
            size: composition.size(),
        }
    }
}

/// Why a lock cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Not a lock this version of weld reads.
    #[error("not a weld lock")]
    Json(#[source] serde_json::Error),
    /// A lock of a format version this weld does not read.
    #[error("lock format version {found}; this weld reads version {LOCK_VERSION}")]
    Version {
        /// The version found.
        found: u32,
    },
    /// A value the lock cannot hold (an unknown `closed`, an input named twice).
    #[error("{0}")]
    Invalid(String),
    /// A digest that is not `sha256:` and 64 lowercase hex digits.
    #[error("`{name}` is locked to `{digest}`, which is not a sha256 digest")]
    Digest {
        /// The input.
        name: String,
        /// The digest as written.
        digest: String,
    },
}

/// One way a composition differs from its lock.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Drift {
    /// An option differs.
    #[error("{option} is {now}; the lock says {locked}")]
    Option {
        /// Which option (`wires`, `closed`, `no-merge-imports`).
        option: &'static str,
        /// The locked value.
        locked: String,
        /// The value now.
        now: String,
    },
    /// A file's or a package's bytes changed.
    #[error("`{name}` has SHA-256 {now}; the lock says {locked}")]
    File {
        /// The file as given, or the package's name.
        name: String,
        /// The locked digest.
        locked: String,
        /// The digest now.
        now: String,
    },
    /// A tag resolves to another manifest now.
    #[error("`{name}` now resolves to {now}; the lock says {locked}")]
    Moved {
        /// The reference as given.
        name: String,
        /// The locked manifest digest.
        locked: String,
        /// The manifest digest it resolves to now.
        now: String,
    },
    /// An input of another kind than locked (a file where a reference was).
    #[error("`{name}` is a {now}; the lock has a {locked}")]
    Kind {
        /// The input as given.
        name: String,
        /// `file`, `package` or `artifact reference`.
        locked: &'static str,
        /// `file`, `package` or `artifact reference`.
        now: &'static str,
    },
    /// An input the lock does not name.
    #[error("`{name}` is not in the lock")]
    Added {
        /// The input as given.
        name: String,
    },
    /// An input the lock names that is not used now.
    #[error("the lock names `{name}`, which this composition does not use")]
    Removed {
        /// The input as locked.
        name: String,
    },
    /// Another root (the first input); the plugs' order does not change the result.
    #[error("the root is `{now}`; the lock's is `{locked}`")]
    Root {
        /// The locked root.
        locked: String,
        /// The root now.
        now: String,
    },
    /// The composed bytes differ although every input matched.
    #[error(
        "the composition has SHA-256 {now}; the lock says {locked} (written by weld {locked_by}, this is weld {this})"
    )]
    Output {
        /// The locked digest.
        locked: String,
        /// The digest now.
        now: String,
        /// The weld version that wrote the lock.
        locked_by: String,
        /// This weld's version.
        this: String,
    },
}

impl Lock {
    /// Reads a lock from its JSON text.
    pub fn from_json(text: &str) -> Result<Lock, LockError> {
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        let version: Version = serde_json::from_str(text).map_err(LockError::Json)?;
        if version.version != LOCK_VERSION {
            return Err(LockError::Version {
                found: version.version,
            });
        }
        let lock: Lock = serde_json::from_str(text).map_err(LockError::Json)?;
        let digests = lock
            .config
            .iter()
            .chain(&lock.inputs)
            .flat_map(|input| match input {
                Locked::File { name, sha256 } | Locked::Package { name, sha256 } => {
                    vec![(name, sha256)]
                }
                Locked::Artifact {
                    name,
                    manifest,
                    layer,
                } => vec![(name, manifest), (name, layer)],
            });
        if !["no", "non-wasi", "all"].contains(&lock.options.closed.as_str()) {
            return Err(LockError::Invalid(format!(
                "`closed` is `{}`; it is `no`, `non-wasi` or `all`",
                lock.options.closed
            )));
        }
        let mut names = std::collections::HashSet::new();
        if let Some(twice) = lock.inputs.iter().find(|i| !names.insert(i.name())) {
            return Err(LockError::Invalid(format!(
                "`{}` is named twice among the inputs",
                twice.name()
            )));
        }
        let output = ("output".to_owned(), lock.output.sha256.clone());
        for (name, digest) in digests.chain(std::iter::once((&output.0, &output.1))) {
            if !is_sha256(digest) {
                return Err(LockError::Digest {
                    name: name.clone(),
                    digest: digest.clone(),
                });
            }
        }
        Ok(lock)
    }

    /// The lock as JSON text, ending with a newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a lock serialises") + "\n"
    }

    /// The locked input named `name`, if any.
    pub fn input(&self, name: &str) -> Option<&Locked> {
        self.inputs.iter().find(|i| i.name() == name)
    }

    /// Every difference between this lock and a composition about to use `inputs` (root first) and `options`,
    /// and, when it has a compose file, `config`. Empty when they match.
    pub fn drift(
        &self,
        config: Option<&Locked>,
        inputs: &[Locked],
        options: &LockedOptions,
    ) -> Vec<Drift> {
        let mut drift = Vec::new();
        let locked = &self.options;
        if locked.wires != options.wires {
            let show = |w: &[(String, String)]| {
                if w.is_empty() {
                    "none".to_owned()
                } else {
                    w.iter()
                        .map(|(i, p)| format!("{i}={p}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            drift.push(Drift::Option {
                option: "wires",
                locked: show(&locked.wires),
                now: show(&options.wires),
            });
        }
        if locked.closed != options.closed {
            drift.push(Drift::Option {
                option: "closed",
                locked: locked.closed.clone(),
                now: options.closed.clone(),
            });
        }
        if locked.no_merge_imports != options.no_merge_imports {
            drift.push(Drift::Option {
                option: "no-merge-imports",
                locked: locked.no_merge_imports.to_string(),
                now: options.no_merge_imports.to_string(),
            });
        }
        match (&self.config, config) {
            (Some(was), Some(now)) => drift.extend(compare(was, now)),
            (Some(was), None) => drift.push(Drift::Removed {
                name: was.name().to_owned(),
            }),
            (None, Some(now)) => drift.push(Drift::Added {
                name: now.name().to_owned(),
            }),
            (None, None) => {}
        }
        for now in inputs {
            match self.input(now.name()) {
                Some(was) => drift.extend(compare(was, now)),
                None => drift.push(Drift::Added {
                    name: now.name().to_owned(),
                }),
            }
        }
        for was in &self.inputs {
            if !inputs.iter().any(|i| i.name() == was.name()) {
                drift.push(Drift::Removed {
                    name: was.name().to_owned(),
                });
            }
        }
        // The root is the first input; the plugs may come in any order (the result does not depend on it). A
        // `.wac` document's packages are all named by the document, so their order says nothing either.
        let root = |list: &[Locked]| match list.first() {
            Some(Locked::Package { .. }) | None => None,
            Some(first) => Some(first.name().to_owned()),
        };
        if let (Some(locked), Some(now)) = (root(&self.inputs), root(inputs))
            && locked != now
        {
            drift.push(Drift::Root { locked, now });
        }
        drift
    }
}

/// `sha256:<hex>` of `bytes`, as a lock records a file or a package.
pub fn sha256(bytes: &[u8]) -> String {
    sha256_of([bytes])
}

/// `sha256:<hex>` of the concatenation of `pieces`.
fn sha256_of<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> String {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    pieces.into_iter().for_each(|piece| hasher.update(piece));
    let hash = hasher.finalize();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in hash {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// True for `sha256:` and 64 lowercase hex digits.
fn is_sha256(digest: &str) -> bool {
    digest
        .strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// How one locked input differs from the same input now.
fn compare(was: &Locked, now: &Locked) -> Option<Drift> {
    let kind = |l: &Locked| match l {
        Locked::File { .. } => "file",
        Locked::Package { .. } => "package",
        Locked::Artifact { .. } => "artifact reference",
    };
    match (was, now) {
        (Locked::File { sha256: a, .. }, Locked::File { sha256: b, .. })
        | (Locked::Package { sha256: a, .. }, Locked::Package { sha256: b, .. }) => {
            (a != b).then(|| Drift::File {
                name: now.name().to_owned(),
                locked: a.clone(),
                now: b.clone(),
            })
        }
        (
            Locked::Artifact {
                manifest: a,
                layer: la,
                ..
            },
            Locked::Artifact {
                manifest: b,
                layer: lb,
                ..
            },
        ) if a == b => {
            // The same manifest always names the same layer: a lock whose layer differs was edited.
            (la != lb).then(|| Drift::File {
                name: now.name().to_owned(),
                locked: la.clone(),
                now: lb.clone(),
            })
        }
        (Locked::Artifact { manifest: a, .. }, Locked::Artifact { manifest: b, .. }) => {
            Some(Drift::Moved {
                name: now.name().to_owned(),
                locked: a.clone(),
                now: b.clone(),
            })
        }
        _ => Some(Drift::Kind {
            name: now.name().to_owned(),
            locked: kind(was),
            now: kind(now),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, sha: &str) -> Locked {
        Locked::File {
            name: name.to_owned(),
            sha256: sha.to_owned(),
        }
    }

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    fn lock() -> Lock {
        Lock {
            version: LOCK_VERSION,
            weld: "0.1.0".to_owned(),
            config: None,
            inputs: vec![
                file("app.wasm", &d('a')),
                Locked::Artifact {
                    name: "oci://r/greeter:1".to_owned(),
                    manifest: d('b'),
                    layer: d('c'),
                },
            ],
            options: LockedOptions::of(&Options::default()),
            output: LockedOutput {
                sha256: d('e'),
                size: 1,
            },
        }
    }

    /// Regression: the lock's options key was snake_case (`no_merge_imports`) where every other JSON of weld's is
    /// kebab-case; it is written in kebab-case now, and a lock with the old key still reads.
    #[test]
    fn options_are_written_in_kebab_case_and_the_old_snake_case_key_still_reads() {
        let json = lock().to_json();
        assert!(json.contains("\"no-merge-imports\": false"), "{json}");
        let old = json.replace("no-merge-imports", "no_merge_imports");
        assert_eq!(Lock::from_json(&old).unwrap(), lock());
    }

    #[test]
    fn a_lock_round_trips_through_json_and_matches_itself() {
        let lock = lock();
        let back = Lock::from_json(&lock.to_json()).unwrap();
        assert_eq!(back, lock);
        assert!(lock.drift(None, &lock.inputs, &lock.options).is_empty());
        assert!(matches!(
            Lock::from_json(&lock.to_json().replace("\"version\": 1", "\"version\": 9")),
            Err(LockError::Version { found: 9 })
        ));
        let bad = lock.to_json().replace(&d('b'), "sha256:../../etc");
        assert!(matches!(
            Lock::from_json(&bad),
            Err(LockError::Digest { .. })
        ));
    }

    #[test]
    fn every_difference_is_named() {
        let lock = lock();
        let moved = Locked::Artifact {
            name: "oci://r/greeter:1".to_owned(),
            manifest: d('f'),
            layer: d('c'),
        };
        let now = [
            file("app.wasm", &d('0')),
            moved,
            file("extra.wasm", &d('1')),
        ];
        let options = LockedOptions::of(&Options {
            closed: Closed::All,
            ..Options::default()
        });
        let drift = lock.drift(None, &now, &options);
        assert_eq!(drift.len(), 4, "{drift:?}");
        assert!(matches!(
            &drift[0],
            Drift::Option {
                option: "closed",
                ..
            }
        ));
        assert!(matches!(&drift[1], Drift::File { name, .. } if name == "app.wasm"));
        assert!(matches!(&drift[2], Drift::Moved { now, .. } if *now == d('f')));
        assert!(matches!(&drift[3], Drift::Added { name } if name == "extra.wasm"));
        let fewer = lock.drift(None, &lock.inputs[..1], &lock.options);
        assert!(
            matches!(fewer.as_slice(), [Drift::Removed { name }] if name == "oci://r/greeter:1")
        );
        let swapped = [lock.inputs[1].clone(), lock.inputs[0].clone()];
        assert!(matches!(
            lock.drift(None, &swapped, &lock.options).as_slice(),
            [Drift::Root { .. }]
        ));
        let mut plugs = lock.clone();
        plugs.inputs.push(file("b.wasm", &d('2')));
        let reordered = [
            plugs.inputs[0].clone(),
            plugs.inputs[2].clone(),
            plugs.inputs[1].clone(),
        ];
        assert!(
            plugs.drift(None, &reordered, &plugs.options).is_empty(),
            "the plugs' order is free"
        );
    }

    #[test]
    fn hand_edited_locks_are_refused_or_caught() {
        let lock = lock();
        let text = lock.to_json();
        let maybe = text.replace("\"closed\": \"no\"", "\"closed\": \"maybe\"");
        assert!(matches!(
            Lock::from_json(&maybe),
            Err(LockError::Invalid(_))
        ));
        let mut twice = lock.clone();
        twice.inputs.push(lock.inputs[0].clone());
        assert!(matches!(
            Lock::from_json(&twice.to_json()),
            Err(LockError::Invalid(_))
        ));
        // A layer edited under an unchanged manifest is drift.
        let mut edited = lock.inputs.clone();
        edited[1] = Locked::Artifact {
            name: "oci://r/greeter:1".to_owned(),
            manifest: d('b'),
            layer: d('9'),
        };
        assert!(matches!(
            lock.drift(None, &edited, &lock.options).as_slice(),
            [Drift::File { .. }]
        ));
    }
}
