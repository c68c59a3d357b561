"""cosign's signature format checked by code that is not weld's: Python's `cryptography` package and the registry's
HTTP API, following cosign's specs/SIGNATURE_SPEC.md.

    cosign_interop.py verify ADDR REPO DIGEST PUBKEY   prints `verified N` if every signature stored for DIGEST
                                                       verifies with PUBKEY and names DIGEST, else fails
    cosign_interop.py sign ADDR REPO DIGEST PUBOUT     signs DIGEST with a fresh key, stores the signature as
                                                       cosign does, writes the public key (PEM) to PUBOUT
"""
import base64
import hashlib
import json
import sys
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
PAYLOAD = "application/vnd.dev.cosign.simplesigning.v1+json"
ANNOTATION = "dev.cosignproject.cosign/signature"


def http(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(request) as response:
        return response.read(), dict(response.headers)


def sig_tag(digest):
    return digest.replace(":", "-", 1) + ".sig"


def verify(addr, repo, digest, pubkey):
    key = serialization.load_pem_public_key(open(pubkey, "rb").read())
    body, _ = http("GET", f"http://{addr}/v2/{repo}/manifests/{sig_tag(digest)}", headers={"Accept": MANIFEST})
    manifest = json.loads(body)
    assert manifest["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json", manifest
    assert manifest["layers"], "no signatures"
    for layer in manifest["layers"]:
        assert layer["mediaType"] == PAYLOAD, layer
        payload, _ = http("GET", f"http://{addr}/v2/{repo}/blobs/{layer['digest']}")
        assert "sha256:" + hashlib.sha256(payload).hexdigest() == layer["digest"], "payload digest"
        signature = base64.b64decode(layer["annotations"][ANNOTATION])
        key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))  # raises InvalidSignature
        claims = json.loads(payload)
        assert claims["critical"]["type"] == "cosign container image signature", claims
        assert claims["critical"]["image"]["docker-manifest-digest"] == digest, claims
        assert claims["critical"]["identity"]["docker-reference"] == f"{addr}/{repo}", claims
    print(f"verified {len(manifest['layers'])}")


def upload(addr, repo, blob):
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    _, headers = http("POST", f"http://{addr}/v2/{repo}/blobs/uploads/", body=b"")
    location = headers["Location"]
    if location.startswith("/"):
        location = f"http://{addr}{location}"
    sep = "&" if "?" in location else "?"
    http("PUT", f"{location}{sep}digest={digest}", body=blob, headers={"Content-Type": "application/octet-stream"})
    return digest


def sign(addr, repo, digest, pubout):
    key = ec.generate_private_key(ec.SECP256R1())
    open(pubout, "wb").write(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    payload = json.dumps({
        "critical": {"identity": {"docker-reference": f"{addr}/{repo}"},
                     "image": {"docker-manifest-digest": digest},
                     "type": "cosign container image signature"},
        "optional": {"creator": "cosign_interop.py"},
    }).encode()
    signature = base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
    payload_digest = upload(addr, repo, payload)
    config = json.dumps({"architecture": "", "os": "", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [payload_digest]}}).encode()
    config_digest = upload(addr, repo, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest,
                   "size": len(config)},
        "layers": [{"mediaType": PAYLOAD, "digest": payload_digest, "size": len(payload),
                    "annotations": {ANNOTATION: signature}}],
    }).encode()
    http("PUT", f"http://{addr}/v2/{repo}/manifests/{sig_tag(digest)}", body=manifest,
         headers={"Content-Type": MANIFEST})
    print("signed")


if __name__ == "__main__":
    {"verify": verify, "sign": sign}[sys.argv[1]](*sys.argv[2:])
