//! The async core, awaited on an embedder's own tokio runtime against a real registry (Debian's
//! `docker-registry`): push, resolve, sign, verify and pull as futures, two pushes at once on one session.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use weld_registry_client::signing::PrivateKey;
use weld_registry_client::{
    Auth, ContentCache, PullOrigin, PushOptions, Reference, Registry, Transport,
};
use weld_tests::registry::{LocalRegistry, Setup};

/// A session over plain HTTP (the registry is on 127.0.0.1), anonymous, its cache in `cache`.
fn session(cache: &std::path::Path) -> Registry {
    let transport = Transport {
        insecure: true,
        read_timeout: Some(Duration::from_secs(10)),
        ..Transport::default()
    };
    Registry::new(transport, Auth::default(), ContentCache::new(cache)).unwrap()
}

#[test]
fn the_async_core_pushes_signs_verifies_and_pulls_on_the_embedders_runtime() {
    let Some(server) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let registry = session(cache.path());
    let path = weld_tests::fixture("greeter");
    let bytes = std::fs::read(&path).unwrap();
    let key = PrivateKey::generate();
    let embedder = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    embedder.block_on(async {
        let tags: Vec<Reference> = ["1.0", "2.0"]
            .iter()
            .map(|tag| {
                server
                    .reference(&format!("demo/greeter:{tag}"))
                    .parse()
                    .unwrap()
            })
            .collect();
        let options = || PushOptions {
            created: SystemTime::UNIX_EPOCH,
            annotations: BTreeMap::new(),
        };
        let (first, second) = tokio::join!(
            registry.push_async(&path, bytes.clone(), &tags[0], options()),
            registry.push_async(&path, bytes.clone(), &tags[1], options()),
        );
        let (first, second) = (first.unwrap(), second.unwrap());
        assert_eq!(first.manifest_digest, second.manifest_digest);
        assert_eq!(
            registry.resolve_async(&tags[1]).await.unwrap(),
            first.manifest_digest
        );
        let signed = registry.sign_async(&tags[0], &key).await.unwrap();
        assert_eq!(signed.manifest_digest, first.manifest_digest);
        let verification = registry
            .verify_async(&tags[0], &[key.public()])
            .await
            .unwrap();
        assert_eq!(verification.verified_by(), Some(key.public().id().as_str()));
        let pulled = registry.pull_async(&tags[1]).await.unwrap();
        assert!(matches!(pulled.origin, PullOrigin::Registry { .. }));
        assert_eq!(std::fs::read(&pulled.path).unwrap(), bytes);
    });
}
