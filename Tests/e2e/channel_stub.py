"""A server stub of Berth's secure TCP channel (channel.v1, docs/protocol.md "The secure channel"),
written from the spec, to test the client side (`berth`, `berth agent`) the way berth_channel.py
tests the node: if the Swift client and this stub agree, the spec is what the client does.

It plays the node's half of the handshake: it answers `node.hello`, makes a fresh X25519 pair and
nonce for `auth.challenge`, checks the client's clientNonce, publicKey and MAC in `auth.response`,
derives the keys and answers with its proof in clear; from then on it opens the client's records and
answers sealed, with canned results by method. The key schedule and the record format are
berth_channel's (one implementation of them on the Python side).

Faults, for the tests that the client refuses a node it should not trust:
- `wrong_proof`: the proof is made with another secret (a process squatting on the port that does
  not hold the secret), and the stub still answers the calls that ride behind auth.response;
- `tamper_from=K`: from the stub's K-th sealed answer on (counted over all its connections), one
  bit of the record carrying it is flipped (someone on the path)."""

import hmac
import json
import os
import socket
import threading

import berth_channel
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

UNAUTHORIZED = -32005
UNSUPPORTED_VERSION = -32006
INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
KINDS = {UNAUTHORIZED: "unauthorized", UNSUPPORTED_VERSION: "unsupported_version",
         INVALID_PARAMS: "invalid_params", METHOD_NOT_FOUND: "method_not_found"}


class Refusal(Exception):
    """An error answer; the connection is closed after it when `close` is set."""

    def __init__(self, code, message, close=False):
        super().__init__(message)
        self.code, self.message, self.close = code, message, close


class ChannelStub:
    """Listens on 127.0.0.1 (a free port), one thread per connection, until the cleanup stops it.
    `answers` maps a method to its result. `events` records what each connection did, as
    (connection number, what), for the tests to check what the client sent."""

    def __init__(self, cu, secret, answers, hostname="channel-stub", wrong_proof=False, tamper_from=None):
        self.secret, self.answers, self.hostname = secret, answers, hostname
        self.wrong_proof, self.tamper_from = wrong_proof, tamper_from
        self.lock = threading.Lock()
        self.events = []
        self.sealed_answers = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.sockets = []
        cu.push(f"stop the channel stub on {self.address}", self.stop)
        threading.Thread(target=self.accept, daemon=True).start()

    def stop(self):
        # shutdown wakes the threads blocked in accept and recv; close alone does not.
        for s in [self.listener, *self.sockets]:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def record(self, number, what):
        with self.lock:
            self.events.append((number, what))

    def seen(self, what):
        """The numbers of the connections that recorded WHAT."""
        with self.lock:
            return [n for n, w in self.events if w == what]

    def accept(self):
        number = 0
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            number += 1
            with self.lock:
                self.sockets.append(sock)
            threading.Thread(target=self.serve, args=(sock, number), daemon=True).start()

    # -----------------------------------------------------------------------------------------
    # One connection: lines in clear until auth.response, records after it.

    def serve(self, sock, number):
        self.record(number, "connected")
        conn = {"number": number, "challenge": None, "sealer": None}
        opener, plain = None, b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    self.record(number, "closed by the client")
                    return
                if opener is None:
                    plain += chunk
                    while opener is None and b"\n" in plain:
                        line, plain = plain.split(b"\n", 1)
                        out, opener = self.plain_line(conn, line)
                        sock.sendall(out)
                    if opener is None:
                        continue
                    # Whatever followed the auth.response line is records already (a pipelined call).
                    chunk, plain = plain, b""
                plain += opener.feed(chunk)
                while b"\n" in plain:
                    line, plain = plain.split(b"\n", 1)
                    if line.strip():
                        sock.sendall(self.sealed_line(conn, line))
        except Refusal as refusal:
            self.record(number, f"refused: {refusal.message}")
            try:
                sock.sendall(refusal.reply)
            except OSError:
                pass
        except berth_channel.ChannelBroken as e:
            self.record(number, f"channel broken: {e}")
        except OSError:
            pass
        finally:
            sock.close()

    def plain_line(self, conn, line):
        """The answer to one line before the channel, and the opener once it is open."""
        request = json.loads(line)
        method, rid, params = request.get("method"), request.get("id"), request.get("params") or {}
        self.record(conn["number"], method)
        try:
            if method == "node.hello":
                return reply(rid, {"protocol": 1, "node": {"version": "stub", "hostname": self.hostname},
                                   "capabilities": [berth_channel.VERSION, "auth.hmac-sha256"],
                                   "authRequired": True}), None
            if method == "auth.challenge":
                private = X25519PrivateKey.generate()
                conn["challenge"] = (os.urandom(32).hex(), private)
                nonce = conn["challenge"][0]
                return reply(rid, {"nonce": nonce, "algorithm": "hmac-sha256", "channel": berth_channel.VERSION,
                                   "publicKey": berth_channel.public_hex(private)}), None
            if method == "auth.response":
                result, sealer, opener = self.accept_response(conn, params)
                conn["sealer"] = sealer
                return reply(rid, result), opener
            raise Refusal(UNAUTHORIZED, "authenticate first (auth.challenge, auth.response)")
        except Refusal as refusal:
            refusal.reply = error_reply(rid, refusal)
            if refusal.close:
                raise
            return refusal.reply, None

    def accept_response(self, conn, params):
        """Checks auth.response as the node does (docs/protocol.md, steps 2 to 4); returns its
        result and the two sides of the channel."""
        if conn["challenge"] is None:
            raise Refusal(UNAUTHORIZED, "no auth.challenge on this connection", close=True)
        nonce, private = conn["challenge"]
        conn["challenge"] = None  # one attempt per nonce
        client_key = params.get("publicKey")
        if client_key is None:
            raise Refusal(UNSUPPORTED_VERSION, f"this node requires the secure channel ({berth_channel.VERSION})", close=True)
        client_nonce = params.get("clientNonce", "")
        if not (is_hex(client_key) and len(client_key) == 64):
            raise Refusal(INVALID_PARAMS, "publicKey: 32 bytes in lowercase hex", close=True)
        if not (is_hex(client_nonce) and 32 <= len(client_nonce) <= 128 and len(client_nonce) % 2 == 0):
            raise Refusal(INVALID_PARAMS, "clientNonce: 16 to 64 bytes in lowercase hex", close=True)
        node_key = berth_channel.public_hex(private)
        t = berth_channel.transcript(nonce, client_nonce, node_key, client_key)
        if not hmac.compare_digest(str(params.get("response", "")), berth_channel.client_mac(self.secret, t)):
            raise Refusal(UNAUTHORIZED, "authentication failed", close=True)
        self.record(conn["number"], "client MAC checked")
        shared = private.exchange(X25519PublicKey.from_public_bytes(bytes.fromhex(client_key)))
        if shared == bytes(32):
            raise Refusal(UNAUTHORIZED, "low-order publicKey", close=True)
        c2n, n2c = berth_channel.derive_keys(self.secret, shared, t)
        proof_secret = b"not the secret " + self.secret if self.wrong_proof else self.secret
        result = {"authenticated": True, "channel": berth_channel.VERSION,
                  "proof": berth_channel.node_mac(proof_secret, t)}
        return result, berth_channel.Sealer(n2c), berth_channel.Opener(c2n)

    def sealed_line(self, conn, line):
        """The sealed answer to one line that came in a record."""
        request = json.loads(line)
        method, rid = request.get("method"), request.get("id")
        self.record(conn["number"], f"sealed {method}")
        if method in self.answers:
            out = reply(rid, self.answers[method])
        else:
            out = error_reply(rid, Refusal(METHOD_NOT_FOUND, f"the stub does not answer {method}"))
        sealed = conn["sealer"].seal(out)
        with self.lock:
            index = self.sealed_answers
            self.sealed_answers += 1
        if self.tamper_from is not None and index >= self.tamper_from:
            self.record(conn["number"], f"tampered {method}")
            flipped = bytearray(sealed)
            flipped[4] ^= 0x01  # the first ciphertext byte of the record's body
            sealed = bytes(flipped)
        return sealed


def is_hex(text):
    return isinstance(text, str) and all(c in "0123456789abcdef" for c in text)


def reply(rid, result):
    return json.dumps({"jsonrpc": "2.0", "id": rid, "result": result}).encode() + b"\n"


def error_reply(rid, refusal):
    error = {"code": refusal.code, "message": refusal.message, "data": {"kind": KINDS[refusal.code]}}
    return json.dumps({"jsonrpc": "2.0", "id": rid, "error": error}).encode() + b"\n"
