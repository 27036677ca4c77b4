"""Checks ZTS's tokens and certificates with libraries no one on this project wrote.

Usage: interop.py JWKS_JSON ACCESS_TOKEN SERVICE_CERT ROLE_CERT CA_CERT AUDIENCE ISSUER
Prints one JSON object of findings; the Rust test asserts on it.
"""
import base64
import json
import sys

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


jwks_path, token_path, svc_path, role_path, ca_path, audience, issuer = sys.argv[1:8]
jwks = jwt.PyJWKSet.from_dict(json.loads(read(jwks_path)))
token = read(token_path).strip()
header = jwt.get_unverified_header(token)
key = next(k for k in jwks.keys if k.key_id == header["kid"])
claims = jwt.decode(
    token,
    key=key.key,
    algorithms=["ES256", "RS256"],
    audience=audience,
    issuer=issuer,
    options={"require": ["exp", "iat", "sub", "aud", "iss"]},
)

svc = x509.load_pem_x509_certificate(read(svc_path, "rb"))
thumb = base64.urlsafe_b64encode(svc.fingerprint(hashes.SHA256())).rstrip(b"=").decode()

# The same token with its payload changed must not verify.
head, payload, sig = token.split(".")
forged_claims = dict(claims, scp=["admin"])
forged_payload = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).rstrip(b"=").decode()
try:
    jwt.decode(f"{head}.{forged_payload}.{sig}", key=key.key, algorithms=["ES256", "RS256"], audience=audience)
    forged = "accepted"
except jwt.InvalidSignatureError:
    forged = "InvalidSignatureError"

role = x509.load_pem_x509_certificate(read(role_path, "rb"))
ca = x509.load_pem_x509_certificate(read(ca_path, "rb"))
role.verify_directly_issued_by(ca)
eku = role.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
sans = role.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

print(json.dumps({
    "typ": header.get("typ"),
    "alg": header.get("alg"),
    "sub": claims["sub"],
    "scp": claims["scp"],
    "cnf_matches_cert": claims["cnf"]["x5t#S256"] == thumb,
    "forged": forged,
    "jwk_types": sorted({k.key_type for k in jwks.keys}),
    "role_cn": role.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value,
    "role_client_only": ExtendedKeyUsageOID.CLIENT_AUTH in eku and ExtendedKeyUsageOID.SERVER_AUTH not in eku,
    "role_uris": sorted(sans.get_values_for_type(x509.UniformResourceIdentifier)),
}))
