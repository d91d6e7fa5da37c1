"""An independent client of Berth's secure TCP channel (channel.v1), written from docs/protocol.md
("The secure channel") with the `cryptography` package, not from the Swift code: if it and berthd
agree, the spec is what the code does.

The handshake rides on auth.challenge / auth.response; afterwards every byte in each direction is a
record: 4-byte big-endian length L of the body, then the body = ChaCha20-Poly1305(key, nonce =
4 zero bytes + 64-bit little-endian counter, aad = the 4 length bytes, 1..16384 plaintext bytes),
L in 17..16400."""

import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "channel.v1"
MAX_PLAINTEXT = 16384
TAG = 16


class ChannelBroken(Exception):
    """A record that does not open, or a length out of bounds."""


def transcript(nonce, client_nonce, node_key, client_key):
    return "\n".join([nonce, client_nonce, node_key, client_key]).encode()


def client_mac(secret, t):
    return hmac.new(secret, b"berth-channel-v1 client\n" + t, hashlib.sha256).hexdigest()


def node_mac(secret, t):
    return hmac.new(secret, b"berth-channel-v1 node\n" + t, hashlib.sha256).hexdigest()


def derive_keys(secret, shared, t):
    """(client-to-node key, node-to-client key)."""
    okm = HKDF(algorithm=hashes.SHA256(), length=64, salt=secret, info=b"berth-channel-v1 keys\n" + t).derive(shared)
    return okm[:32], okm[32:]


def nonce(counter):
    return b"\x00" * 4 + struct.pack("<Q", counter)


class Sealer:
    def __init__(self, key):
        self.aead = ChaCha20Poly1305(key)
        self.counter = 0

    def seal(self, data):
        out = b""
        for start in range(0, len(data), MAX_PLAINTEXT):
            chunk = data[start:start + MAX_PLAINTEXT]
            header = struct.pack(">I", len(chunk) + TAG)
            out += header + self.aead.encrypt(nonce(self.counter), chunk, header)
            self.counter += 1
        return out


class Opener:
    def __init__(self, key):
        self.aead = ChaCha20Poly1305(key)
        self.counter = 0
        self.pending = b""

    def feed(self, data):
        """The plaintext of every whole record in pending + data; ChannelBroken on a bad one."""
        self.pending += data
        out = b""
        while len(self.pending) >= 4:
            (length,) = struct.unpack(">I", self.pending[:4])
            if not 17 <= length <= MAX_PLAINTEXT + TAG:
                raise ChannelBroken(f"record length {length}")
            if len(self.pending) < 4 + length:
                break
            header, body = self.pending[:4], self.pending[4:4 + length]
            try:
                out += self.aead.decrypt(nonce(self.counter), body, header)
            except Exception as e:
                raise ChannelBroken(f"record {self.counter} does not open: {e!r}")
            self.counter += 1
            self.pending = self.pending[4 + length:]
        return out


def public_hex(private_key):
    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def response_params(challenge, secret):
    """(auth.response params, (c2n, n2c) keys, the node proof expected) for a channel challenge."""
    assert challenge.get("channel") == VERSION, f"the node offers no {VERSION}: {challenge}"
    private = X25519PrivateKey.generate()
    client_key = public_hex(private)
    client_nonce = os.urandom(16).hex()
    shared = private.exchange(X25519PublicKey.from_public_bytes(bytes.fromhex(challenge["publicKey"])))
    t = transcript(challenge["nonce"], client_nonce, challenge["publicKey"], client_key)
    params = {"clientNonce": client_nonce, "response": client_mac(secret, t), "publicKey": client_key}
    return params, derive_keys(secret, shared, t), node_mac(secret, t)


def open_channel(rpc, secret, key_id=None):
    """hello is optional; runs auth.challenge / auth.response with the channel (naming the secret
    KEY_ID when given), checks the node's proof, and switches RPC (a harness.RpcClient) to records.
    On a channel already open (authenticating again) the records keep their first keys. Returns
    the auth.response result; an error answer raises harness.RpcError."""
    challenge = rpc.call("auth.challenge", {})
    params, (c2n, n2c), proof = response_params(challenge, secret)
    if key_id is not None:
        params["keyId"] = key_id
    result = rpc.call("auth.response", params)
    if result.get("proof") != proof or result.get("channel") != VERSION:
        raise ChannelBroken(f"the node's proof does not check out: {result}")
    if rpc.sealer is None:
        rpc.start_channel(Sealer(c2n), Opener(n2c))
    return result


class ChannelSocket:
    """A socket-like object over an open channel, for code that reads and writes a raw socket
    (the transcript replayer)."""

    def __init__(self, rpc):
        self.rpc = rpc
        self.sock = rpc.sock
        self.plain = rpc._buffer
        rpc._buffer = b""

    def settimeout(self, t):
        self.sock.settimeout(t)

    def sendall(self, data):
        self.sock.sendall(self.rpc.sealer.seal(data))

    def recv(self, n):
        while not self.plain:
            chunk = self.sock.recv(65536)
            if not chunk:
                return b""
            self.plain = self.rpc.opener.feed(chunk)
        out, self.plain = self.plain[:n], self.plain[n:]
        return out

    def shutdown(self, how):
        self.sock.shutdown(how)

    def close(self):
        self.sock.close()
