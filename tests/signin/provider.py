"""A small OpenID Connect provider for the tests: a real HTTP server on loopback in a thread, with
discovery, a published RSA key set, an authorization endpoint (the user is taken as signed in and
consenting: the test sets who), a token endpoint that checks the client's secret and spends each code
once, and an end-session endpoint. Tokens are really signed (RS256); a test can ask for one fault in
the next token: a wrong audience, an expired token, a signature by another key, a stale nonce, or
claims left out."""

import json
import secrets
import threading
import time
from base64 import b64decode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey


class Provider:
    def __init__(self, client_id="gvi-test", client_secret="hemligt-test-secret"):
        self.client_id, self.client_secret = client_id, client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})  # same kid, not published
        self.claims = {"sub": "user-1"}  # who signs in next, and what the IdP says about them
        self.fault = (
            None  # None | "audience" | "audience-azp" | "expired" | "forged" | "nonce" | "drop:<claim>"
        )
        self.codes = {}
        self.logouts = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def metadata(self):
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def id_token(self, nonce):
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **self.claims,
        }
        key = self.key
        if self.fault == "audience":
            claims["aud"] = "another-client"
        elif self.fault == "audience-azp":  # for another client, naming us as the authorized party
            claims["aud"], claims["azp"] = "another-client", self.client_id
        elif self.fault == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        elif self.fault == "forged":
            key = self.other_key
        elif self.fault == "nonce":
            claims["nonce"] = "an-earlier-nonce"
        elif self.fault and self.fault.startswith("drop:"):
            claims.pop(self.fault[5:], None)
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _redirect(self, url):
                self.send_response(302)
                self.send_header("Location", url)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                url = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    return self._json(200, provider.metadata())
                if url.path == "/jwks":
                    return self._json(200, {"keys": [provider.key.as_dict(private=False)]})
                if url.path == "/authorize":
                    if query.get("client_id") != provider.client_id or query.get("response_type") != "code":
                        return self._json(400, {"error": "invalid_request"})
                    code = secrets.token_urlsafe(16)
                    with provider.lock:
                        provider.codes[code] = {
                            "nonce": query.get("nonce"),
                            "redirect_uri": query["redirect_uri"],
                        }
                    back = urlencode({"code": code, "state": query.get("state", "")})
                    return self._redirect(f"{query['redirect_uri']}?{back}")
                if url.path == "/logout":
                    provider.logouts.append(query)
                    return self._redirect(query["post_logout_redirect_uri"])
                return self._json(404, {"error": "not_found"})

            def do_POST(self):
                if urlsplit(self.path).path != "/token":
                    return self._json(404, {"error": "not_found"})
                length = int(self.headers.get("Content-Length", "0"))
                form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
                client_id, secret = form.get("client_id"), form.get("client_secret")
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    client_id, _, secret = b64decode(auth[6:]).decode().partition(":")
                if (client_id, secret) != (provider.client_id, provider.client_secret):
                    return self._json(401, {"error": "invalid_client"})
                with provider.lock:
                    grant = provider.codes.pop(form.get("code", ""), None)  # a code is spent once
                if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                    return self._json(400, {"error": "invalid_grant"})
                return self._json(
                    200,
                    {
                        "access_token": secrets.token_urlsafe(16),
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": provider.id_token(grant["nonce"]),
                    },
                )

        return Handler
