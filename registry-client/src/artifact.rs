//! The Wasm OCI artifact format (CNCF TAG Runtime, "Wasm OCI Artifact layout"): an OCI image manifest whose config
//! is `application/vnd.wasm.config.v0+json` and whose one layer is the `application/wasm` binary.

use crate::error::{BoxError, RegistryError};
use oci_client::manifest::{OciDescriptor, OciImageManifest};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Media type of the manifest.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of the config blob.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// Media type of the layer holding the component.
pub const LAYER_MEDIA_TYPE: &str = "application/wasm";

/// Configs a pull takes beside [`CONFIG_MEDIA_TYPE`], for components pushed by other tools: the older Wasm layout
/// (oci-client's `application/vnd.wasm.config.v1+json`, still defined there: oci-client issue 224), oras's
/// config for `oras push REF file:type` (`application/vnd.unknown.config.v1+json`, oras-py and oras before 1.0)
/// and the empty config of OCI 1.1 artifacts (`application/vnd.oci.empty.v1+json`, oras 1.x). Their config says
/// nothing a pull needs; the layer is what counts (wasm-pkg-tools issue 32).
pub const OTHER_CONFIG_MEDIA_TYPES: &[&str] = &[
    "application/vnd.wasm.config.v1+json",
    "application/vnd.unknown.config.v1+json",
    "application/vnd.oci.empty.v1+json",
];

/// Layers a pull takes as the component: [`LAYER_MEDIA_TYPE`], the older layout's
/// `application/vnd.wasm.content.layer.v1+wasm`, and the component layer of runwasi's images
/// (`application/vnd.bytecodealliance.wasm.component.layer.v0+wasm`, under an ordinary image config).
pub const WASM_LAYER_MEDIA_TYPES: &[&str] = &[
    LAYER_MEDIA_TYPE,
    "application/vnd.wasm.content.layer.v1+wasm",
    "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm",
];

/// Manifest media types a pull accepts, so that what is not a Wasm artifact can be named rather than refused by
/// content negotiation.
pub(crate) const ACCEPTED_MANIFESTS: &[&str] = &[
    MANIFEST_MEDIA_TYPE,
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// The config blob of a Wasm artifact, as the format specifies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WasmConfig {
    /// When the artifact was made (RFC 3339).
    pub created: String,
    /// Who made it, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Always `wasm`.
    pub architecture: String,
    /// `wasip2` for a component.
    pub os: String,
    /// The digests of the manifest's layers, in order.
    pub layer_digests: Vec<String>,
    /// The component's world.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<ComponentWorld>,
}

/// What a component imports and exports, by name (`wasi:cli/run@0.2.0`, or a plain name for a function).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentWorld {
    /// Names of the component's exports.
    pub exports: Vec<String>,
    /// Names of the component's imports.
    pub imports: Vec<String>,
    /// The world it targets (`wasi:cli/command@0.2.0`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// Checks that `bytes` (read from `path`) are a valid component, and returns its world.
pub fn describe(path: &Path, bytes: &[u8]) -> Result<ComponentWorld, RegistryError> {
    let invalid = |message: &str, source: Option<BoxError>| RegistryError::InvalidComponent {
        path: path.to_path_buf(),
        message: message.to_owned(),
        source,
    };
    let validated = weld_wit::validate(bytes)
        .map_err(|e| invalid("not a valid component", Some(Box::new(e))))?;
    if validated.kind != weld_wit::FileKind::Component {
        return Err(invalid(
            "a core module, not a component; weld pushes components (wrap it with `wasm-tools component new`)",
            None,
        ));
    }
    let src = weld_wit::WitSource::from_binary(path, bytes)
        .map_err(|e| invalid("its WIT cannot be read", Some(Box::new(e))))?;
    let world = src.world.ok_or_else(|| {
        invalid(
            "an encoded WIT package, not a component that can run or be composed",
            None,
        )
    })?;
    let world = &src.resolve.worlds[world];
    let names = |items: &indexmap::IndexMap<wit_parser::WorldKey, wit_parser::WorldItem>| {
        items
            .keys()
            .map(|key| src.resolve.name_world_key(key))
            .collect()
    };
    Ok(ComponentWorld {
        exports: names(&world.exports),
        imports: names(&world.imports),
        target: None,
    })
}

/// The annotation of a layer that names the file it holds (`oras pull` writes the layer under that name, and skips
/// a layer without one).
pub const TITLE: &str = "org.opencontainers.image.title";

/// The file name a pushed component's layer carries as its title: the pushed file's name (`greeter.wasm`; a
/// `.wat` file is pushed compiled, so `greeter.wat` becomes `greeter.wasm`), or, when there is no file name,
/// `fallback` (the last part of the repository: `demo/greeter` gives `greeter.wasm`, as wkg names it).
pub fn layer_title(path: &Path, fallback: &str) -> String {
    let stem = match (path.file_stem(), path.extension()) {
        (Some(_), Some(ext)) if ext == "wasm" => {
            return path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
        }
        (Some(stem), _) => stem.to_string_lossy().into_owned(),
        (None, _) if !fallback.is_empty() => fallback.to_owned(),
        (None, _) => "component".to_owned(),
    };
    format!("{stem}.wasm")
}

/// The manifest of an artifact: the config and layer descriptors, the layer's title, and the annotations.
pub(crate) fn manifest(
    config: &[u8],
    layer: (&str, u64, &str),
    annotations: BTreeMap<String, String>,
) -> OciImageManifest {
    let (layer_digest, layer_size, title) = layer;
    OciImageManifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.to_owned()),
        config: OciDescriptor {
            media_type: CONFIG_MEDIA_TYPE.to_owned(),
            digest: crate::digest::of(config),
            size: config.len() as i64,
            ..OciDescriptor::default()
        },
        layers: vec![OciDescriptor {
            media_type: LAYER_MEDIA_TYPE.to_owned(),
            digest: layer_digest.to_owned(),
            size: layer_size as i64,
            annotations: Some([(TITLE.to_owned(), title.to_owned())].into()),
            ..OciDescriptor::default()
        }],
        subject: None,
        artifact_type: None,
        annotations: (!annotations.is_empty()).then_some(annotations),
    }
}

/// The part of a manifest a pull reads, whatever kind of manifest it is.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnyManifest {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<OciDescriptor>,
    #[serde(default)]
    layers: Vec<OciDescriptor>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
}

/// The one Wasm layer ([`WASM_LAYER_MEDIA_TYPES`]) of the manifest `bytes` fetched for `reference`, whatever its
/// config, and the config's media type; or why it is not a Wasm artifact (an index, a container image, no Wasm
/// layer, several).
pub(crate) fn wasm_layer(
    reference: &str,
    bytes: &[u8],
) -> Result<(OciDescriptor, String), RegistryError> {
    let not_wasm = |found: String| RegistryError::NotWasm {
        reference: reference.to_owned(),
        found,
    };
    let manifest: AnyManifest = serde_json::from_slice(bytes)
        .map_err(|e| not_wasm(format!("its manifest is not valid JSON ({e})")))?;
    if manifest.manifests.is_some() {
        return Err(not_wasm(format!(
            "it is an image index ({}), i.e. a multi-platform container image",
            manifest.media_type.as_deref().unwrap_or("no media type")
        )));
    }
    let config = manifest
        .config
        .ok_or_else(|| not_wasm("its manifest has no config".to_owned()))?;
    let layers: Vec<&str> = manifest
        .layers
        .iter()
        .map(|l| l.media_type.as_str())
        .collect();
    let layers = if layers.is_empty() {
        "none".to_owned()
    } else {
        layers.join(", ")
    };
    let mut wasm = manifest
        .layers
        .into_iter()
        .filter(|l| WASM_LAYER_MEDIA_TYPES.contains(&l.media_type.as_str()));
    match (wasm.next(), wasm.next()) {
        (Some(layer), None) => Ok((layer, config.media_type)),
        (None, _) if is_wasm_config(&config.media_type) => Err(not_wasm(format!(
            "its config is {} but it has no {LAYER_MEDIA_TYPE} layer (layers {layers})",
            config.media_type
        ))),
        (None, _) => Err(not_wasm(format!(
            "it is a container image or another artifact (config {}, layers {layers}); a Wasm artifact has one \
             {LAYER_MEDIA_TYPE} layer",
            config.media_type
        ))),
        (Some(_), Some(_)) => Err(not_wasm(format!(
            "it has several Wasm layers ({layers}); a component artifact has one"
        ))),
    }
}

/// True for the config of the Wasm artifact layout, current or older: [`CONFIG_MEDIA_TYPE`] or
/// `application/vnd.wasm.config.v1+json`. A pull takes a component under any other config too, and says so.
pub fn is_wasm_config(media_type: &str) -> bool {
    media_type == CONFIG_MEDIA_TYPE || media_type == OTHER_CONFIG_MEDIA_TYPES[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::Reference;

    fn reference() -> Reference {
        "localhost:5000/demo/x:1".parse().unwrap()
    }

    #[test]
    fn a_manifest_weld_writes_names_its_wasm_layer() {
        let digest = crate::digest::of(b"wasm");
        let manifest = manifest(b"{}", (&digest, 4, "x.wasm"), BTreeMap::new());
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains(r#""mediaType":"application/vnd.oci.image.manifest.v1+json""#),
            "{text}"
        );
        let (layer, config) = wasm_layer(&reference().to_string(), &bytes).unwrap();
        assert_eq!(config, CONFIG_MEDIA_TYPE);
        assert_eq!(
            (layer.media_type.as_str(), layer.size),
            (LAYER_MEDIA_TYPE, 4)
        );
        // Only the layer has annotations: its title.
        assert_eq!(text.matches("annotations").count(), 1, "{text}");
        assert_eq!(layer.annotations.unwrap()[TITLE], "x.wasm");
    }

    /// Regression (wkg#238 in kind): the layer had no title, so `oras pull` skipped it or named the file after
    /// its digest.
    #[test]
    fn the_layer_is_titled_with_a_plain_file_name() {
        assert_eq!(
            layer_title(Path::new("out/greeter.wasm"), "x"),
            "greeter.wasm"
        );
        assert_eq!(layer_title(Path::new("greeter.wat"), "x"), "greeter.wasm");
        assert_eq!(layer_title(Path::new("greeter"), "x"), "greeter.wasm");
        assert_eq!(layer_title(Path::new(""), "x"), "x.wasm");
        assert_eq!(layer_title(Path::new(""), ""), "component.wasm");
    }

    #[test]
    fn container_images_and_indexes_are_named() {
        let image = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:aa","size":2},
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:bb","size":3}]}"#;
        let err = wasm_layer(&reference().to_string(), image)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("container image") && err.contains("tar+gzip"),
            "{err}"
        );
        let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        let err = wasm_layer(&reference().to_string(), index)
            .unwrap_err()
            .to_string();
        assert!(err.contains("image index"), "{err}");
        let err = wasm_layer(&reference().to_string(), b"<html>")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not valid JSON"), "{err}");
    }

    /// Regression (shared case 19; wasm-pkg-tools#32, oci-client#224): components pushed by oras (`oras push
    /// REF app.wasm:application/wasm`, with oras-py's or oras 1.x's config) or in the older Wasm layout were
    /// refused as "not a WebAssembly artifact".
    #[test]
    fn components_pushed_by_oras_or_in_the_older_wasm_layout_are_read() {
        let manifest = |config: &str, layer: &str, artifact: &str| {
            format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",{artifact}
                "config":{{"mediaType":"{config}","digest":"sha256:aa","size":2}},
                "layers":[{{"mediaType":"{layer}","digest":"sha256:bb","size":3}}]}}"#
            )
        };
        for (config, layer, artifact) in [
            (
                "application/vnd.unknown.config.v1+json",
                "application/wasm",
                "",
            ),
            (
                "application/vnd.oci.empty.v1+json",
                "application/wasm",
                r#""artifactType":"application/vnd.unknown.artifact.v1","#,
            ),
            (
                "application/vnd.wasm.config.v1+json",
                "application/vnd.wasm.content.layer.v1+wasm",
                "",
            ),
        ] {
            let bytes = manifest(config, layer, artifact);
            let found = wasm_layer(&reference().to_string(), bytes.as_bytes());
            assert_eq!(
                found.ok().map(|(l, c)| (l.digest, c)),
                Some(("sha256:bb".to_owned(), config.to_owned())),
                "{config}"
            );
        }
        // runwasi's images: an ordinary image config and its component layer type.
        let runwasi = manifest(
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm",
            "",
        );
        let (layer, config) = wasm_layer(&reference().to_string(), runwasi.as_bytes()).unwrap();
        assert_eq!(
            (layer.digest.as_str(), is_wasm_config(&config)),
            ("sha256:bb", false)
        );
        // An artifact of oras's kind that holds something else is still not a component.
        let text = manifest("application/vnd.unknown.config.v1+json", "text/plain", "");
        let err = wasm_layer(&reference().to_string(), text.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("another artifact") && err.contains("text/plain"),
            "{err}"
        );
        let text = manifest(CONFIG_MEDIA_TYPE, "text/plain", "");
        let err = wasm_layer(&reference().to_string(), text.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no application/wasm layer"), "{err}");
    }

    #[test]
    fn the_config_round_trips_with_the_spec_field_names() {
        let config = WasmConfig {
            created: "2026-11-24T00:00:00Z".to_owned(),
            author: None,
            architecture: "wasm".to_owned(),
            os: "wasip2".to_owned(),
            layer_digests: vec!["sha256:00".to_owned()],
            component: Some(ComponentWorld {
                exports: vec!["wasi:cli/run@0.2.0".to_owned()],
                imports: vec![],
                target: None,
            }),
        };
        let json = serde_json::to_string(&config).unwrap();
        assert!(json.contains(r#""layerDigests":["sha256:00"]"#), "{json}");
        assert_eq!(serde_json::from_str::<WasmConfig>(&json).unwrap(), config);
    }
}
