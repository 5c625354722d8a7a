"""A small SAML 2.0 identity provider for the tests: pysaml2's own IdP (saml2.server.Server) behind a real
HTTP server on loopback in a thread, with its metadata, single sign-on (HTTP-Redirect in, HTTP-POST back)
and single logout (HTTP-Redirect both ways). Keys and certificates are generated (cryptography). The user
is taken as signed in: the test sets who (NameID, attributes, AuthnContextClassRef). A test can ask for one
fault in the next response: another audience, an expired assertion, a signature by another key."""

import datetime
import re
import threading
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml
from saml2.assertion import Policy
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.s_utils import factory
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.time_util import in_a_while

PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
MFA = "http://schemas.microsoft.com/claims/multipleauthn"


def key_pair(directory, name: str) -> tuple[str, str]:
    """A 2048-bit RSA key and a self-signed certificate for it, as PEM files: (key path, cert path)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


class FaultyPolicy(Policy):
    """The IdP's conditions, with the test's fault: another SP as the audience, or long expired."""

    def __init__(self, fault, **kwargs):
        super().__init__(**kwargs)
        self.fault = fault

    def conditions(self, sp_entity_id):
        conditions = super().conditions(sp_entity_id)
        if self.fault == "audience":
            conditions.audience_restriction = [
                factory(
                    saml.AudienceRestriction,
                    audience=[factory(saml.Audience, text="https://another-sp.test/saml")],
                )
            ]
        elif self.fault == "expired":
            conditions.not_before = in_a_while(hours=-2)
            conditions.not_on_or_after = in_a_while(hours=-1)
        return conditions


class IdentityProvider:
    def __init__(self, directory):
        self.directory = directory
        self.key_file, self.cert_file = key_pair(directory, "idp")
        self.other_key_file, self.other_cert_file = key_pair(directory, "other")  # never published
        self.name_id = "anna-1"
        self.attributes = {}  # attribute name -> list of values
        self.class_ref = PASSWORD
        self.fault = None  # None | "audience" | "expired" | "forged"
        self.requests = []  # the AuthnRequests received
        self.logouts = []  # the LogoutRequests received
        self.answers = []  # the LogoutResponses received
        self.sp_metadata = None
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.entity_id = f"{self.base}/metadata"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def settings(self, key_file=None, cert_file=None) -> dict:
        config = {
            "entityid": self.entity_id,
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "key_file": key_file or self.key_file,
            "cert_file": cert_file or self.cert_file,
            "signing_algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(f"{self.base}/sso", BINDING_HTTP_REDIRECT)],
                        "single_logout_service": [(f"{self.base}/slo", BINDING_HTTP_REDIRECT)],
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "policy": {"default": {"lifetime": {"minutes": 15}, "name_form": NAME_FORMAT_URI}},
                    "want_authn_requests_signed": True,
                }
            },
        }
        if self.sp_metadata:
            config["metadata"] = {"inline": [self.sp_metadata]}
        return config

    def server_for(self, key_file=None, cert_file=None) -> Server:
        config = IdPConfig()
        config.load(self.settings(key_file, cert_file))
        return Server(config=config)

    def trust(self, sp_metadata: str):
        """The SP's metadata, as its administrator would load it (GVI publishes it at a URL)."""
        self.sp_metadata = sp_metadata

    def metadata(self) -> str:
        config = IdPConfig()
        config.load(self.settings())
        return str(entity_descriptor(config))

    def authn_response(self, query) -> tuple[str, str]:
        """(ACS URL, base64 SAMLResponse) answering the signed AuthnRequest in the query string."""
        server = self.server_for()
        request = server.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT, **signed(query))
        message = request.message
        self.requests.append(message)
        acs = message.assertion_consumer_service_url
        if self.fault == "forged":  # the same IdP's name, signed by a key its metadata does not publish
            server = self.server_for(self.other_key_file, self.other_cert_file)
        policy = FaultyPolicy(self.fault, restrictions={"default": {"lifetime": {"minutes": 15}}})
        response = server.create_authn_response(
            identity=self.attributes,
            in_response_to=message.id,
            destination=acs,
            sp_entity_id=message.issuer.text,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=self.name_id),
            authn={"class_ref": self.class_ref, "authn_auth": self.entity_id},
            sign_assertion=True,
            sign_response=True,
            release_policy=policy,
        )
        info = server.apply_binding(BINDING_HTTP_POST, str(response), acs, response=True)
        return acs, form_value(info["data"], "SAMLResponse")

    def logout_response(self, query) -> str:
        """Where the browser goes after the IdP's single logout: the SP's SLS with a LogoutResponse."""
        server = self.server_for()
        request = server.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT, **signed(query))
        self.logouts.append(request.message)
        response = server.create_logout_response(request.message, [BINDING_HTTP_REDIRECT])
        destination = server.metadata.single_logout_service(
            request.message.issuer.text, BINDING_HTTP_REDIRECT, "spsso"
        )[0]["location"]
        info = server.apply_binding(
            BINDING_HTTP_REDIRECT, str(response), destination, response=True, sign=True
        )
        return dict(info["headers"])["Location"]

    def logout_request(self, sp_entity_id: str, name_id: str, sign: bool = True) -> str:
        """An IdP-initiated single logout: the URL of the SP's SLS with a LogoutRequest for the user."""
        server = self.server_for()
        destination = server.metadata.single_logout_service(sp_entity_id, BINDING_HTTP_REDIRECT, "spsso")[0][
            "location"
        ]
        _, request = server.create_logout_request(
            destination,
            sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=name_id),
            sign=False,
        )
        info = server.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, sign=sign)
        return dict(info["headers"])["Location"]

    def logout_answer(self, query):
        """The SP's LogoutResponse to an IdP-initiated logout, signature checked."""
        server = self.server_for()
        response = server.parse_logout_request_response(query["SAMLResponse"], BINDING_HTTP_REDIRECT)
        self.answers.append(response.response)

    def _handler(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, content_type="text/html; charset=utf-8", location=None):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                try:
                    if url.path == "/metadata":
                        return self._send(200, idp.metadata(), "application/samlmetadata+xml")
                    if url.path == "/sso":
                        with idp.lock:
                            acs, saml_response = idp.authn_response(query)
                        # The browser's form post back to the SP; the test reads the form.
                        form = (
                            f'<form method="post" action="{acs}">'
                            f'<input type="hidden" name="SAMLResponse" value="{saml_response}"></form>'
                        )
                        return self._send(200, form)
                    if url.path == "/slo" and "SAMLResponse" in query:
                        with idp.lock:
                            idp.logout_answer(query)
                        return self._send(200, "Du är utloggad.")
                    if url.path == "/slo":
                        with idp.lock:
                            back = idp.logout_response(query)
                        return self._send(302, "", location=back)
                except Exception as error:  # the test sees the IdP's refusal as a 400
                    return self._send(400, f"{type(error).__name__}: {error}", "text/plain")
                return self._send(404, "not found", "text/plain")

        return Handler


def signed(query) -> dict:
    """The HTTP-Redirect binding's signature over the query, for the IdP to check (it wants it signed)."""
    return {
        "relay_state": query.get("RelayState"),
        "sigalg": query.get("SigAlg"),
        "signature": query.get("Signature"),
    }


def form_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, html[:500]
    return unescape(match[1])
