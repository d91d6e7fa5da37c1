#!/usr/bin/env python3
"""The contract (Protocol/berth.openrpc.json) and a real berthd agree on which params are valid.

Cases are derived from the document itself, not written by hand: for every method, a valid params
object built from its schemas; then each required member left out, an unknown member added, every
bound (maxLength, minLength, maxItems, minimum, maximum, x-berth-maxBytes) met and passed, every
enum off by one value, every pattern against a fixed set of probe strings (the document's own regex
decides which side each probe is on), and a value of the wrong type. The node must answer
invalid_params (or invalid_identifier) exactly for the invalid side, and never `internal`.
Lengths count characters, as JSON Schema does: a string at its maxLength is also tried in two- and
four-byte characters where the pattern allows them.

A new param, bound or pattern in the document is covered without touching this file, so the node
and the contract cannot drift apart again; a param whose valid value this file cannot build fails
loudly (add its sample to SAMPLES)."""

import http.server
import ipaddress
import json
import os
import re
import threading

import harness
from harness import check, check_equal, RpcError, ConnectionClosed

DOC_PATH = os.path.join(harness.ROOT, "Protocol", "berth.openrpc.json")
BUSYBOX = "localhost/busybox:latest"
INVALID_KINDS = {"invalid_params", "invalid_identifier"}

# Valid values for schemas whose pattern (or meaning) a generic generator cannot satisfy.
SAMPLES = {
    "Identifier": "contract-a",
    "image": BUSYBOX,
    "clientNonce": "00" * 16,
    "response": "00" * 32,
    "publicKey": "09" + "00" * 31,  # the X25519 base point: 32 bytes in lowercase hex
    "network": "podman",
    "environmentSource": None,  # set to a local server's URL by the test
    "cursor": None,  # optional; a made-up cursor would be cursor_expired, which is fine but slow to reason about
    "hostPath": "/tmp",
    "containerPath": "/data",
    "toHost": "198.18.0.1",
    "fromHost": "127.0.0.1",
    "name": "CONTRACT_NAME",
    "RequestId": "contract-request",
    "since": "2026-12-06T17:00:00Z",
}

# Strings tried against every pattern; which side each is on is decided by the pattern.
PROBES = ["", " ", "a", "A1", "a b", "-x", "x-", "x/", "/x", "/x/", "//x", "/x/../y", "a..b", "x@y@z", "é", "😀",
          "a\\", " a", "a ", "\u0001", "\u007f", "a:b", "a,b", "LD_PRELOAD", "XDG_X", "PATH", "1A", "_", "0" * 32,
          "https://", "ftp://h", "1.2.3", "a.b", "198.18.0.1", "2001:db8::1", "::1", "01.2.3.4", "a..b", "1:2", "host", "podman", "container", "small", "berth.slice", "xx"]


class Contract:
    def __init__(self, doc):
        self.doc = doc
        self.schemas = doc["components"]["schemas"]

    def resolve(self, schema):
        """(schema, name of the $ref or None) with a $ref followed."""
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[1]
            merged = dict(self.schemas[name])
            return merged, name
        return schema, None


def matches(schema, value):
    """Whether a string VALUE satisfies SCHEMA's string keywords (JSON Schema counts characters)."""
    if "anyOf" in schema and not any(matches(branch, value) for branch in schema["anyOf"]):
        return False
    if "not" in schema and matches(schema["not"], value):
        return False
    if schema.get("format") in ("ipv4", "ipv6"):
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        if address.version != int(schema["format"][-1]) or "%" in value:
            return False
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return False
    if "minLength" in schema and len(value) < schema["minLength"]:
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return False
    return True


def holds(schema, obj):
    """Whether OBJ meets SCHEMA's `required` and its string members' keywords (for if/then)."""
    if any(name not in obj for name in schema.get("required", [])):
        return False
    return all(matches(member, obj[name]) for name, member in schema.get("properties", {}).items()
               if isinstance(obj.get(name), str))


def object_rules_hold(schema, obj):
    """Whether OBJ meets SCHEMA's allOf if/then rules (the cross-member rules the document states)."""
    return all(holds(rule["then"], obj) for rule in schema.get("allOf", []) if "if" in rule and holds(rule["if"], obj))


def sample(contract, schema, key, index=0):
    """A valid value for SCHEMA (member KEY); INDEX makes array items distinct."""
    schema, ref = contract.resolve(schema)
    for name in (ref, key):
        if name in SAMPLES and SAMPLES[name] is not None:
            value = SAMPLES[name]
            if isinstance(value, str) and index:
                value = distinct(schema, value, index)
            return value
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "string":
        for candidate in (f"s{index}", f"S{index}", "x"):
            if matches(schema, candidate):
                return candidate
        raise AssertionError(f"no sample for {key} ({schema}): add one to SAMPLES")
    if kind == "integer":
        return max(schema.get("minimum", 1), 1) + index
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "array":
        return [sample(contract, schema.get("items", {}), key, i) for i in range(schema.get("minItems", 0))]
    if kind == "object":
        return {k: sample(contract, s, k, index) for k, s in schema.get("properties", {}).items()
                if k in schema.get("required", [])}
    if "oneOf" in schema:
        return sample(contract, schema["oneOf"][0], key, index)
    return 1  # any JSON value (node.ping's echo)


def distinct(schema, value, index):
    """VALUE made the INDEX-th distinct one, still matching SCHEMA, where it can be."""
    for candidate in (f"{value}{index}", f"{value}/{index}", f"{value}_{index}", f"{index}{value}"):
        if matches(schema, candidate):
            return candidate
    return value  # the item's other members (a port) keep it distinct


def padded(schema, base, length):
    """Strings of exactly LENGTH characters that SCHEMA's pattern allows, in one-, two- and
    four-byte characters where it allows them."""
    out = []
    dotted = ("a" * 63 + ".") * (length // 64 + 1)
    dotted = dotted[:length - 1] + "a" if length > 1 else "a"
    for text in [(base + pad * length)[:length] for pad in ("a", "é", "😀", "0", "_", "x")] + [dotted]:
        if len(text) == length and matches(dict(schema, maxLength=length), text) and text not in out:
            out.append(text)
        if len(out) >= 3:
            break
    return out


def variants(contract, schema, valid, key):
    """(label, value, expected_valid) for one member whose valid value is VALID."""
    schema, _ = contract.resolve(schema)
    kind = schema.get("type")
    if kind == "string":
        yield "wrong type", 12345, False
        for branch in schema.get("anyOf", []):
            if "maxLength" in branch:
                for text in padded(branch, valid, branch["maxLength"]):
                    yield f"at a branch's maxLength {branch['maxLength']}", text, matches(schema, text)
                for text in padded(dict(branch, maxLength=branch["maxLength"] + 1), valid, branch["maxLength"] + 1)[:1]:
                    yield f"over a branch's maxLength {branch['maxLength']}", text, matches(schema, text)
        if "maxLength" in schema:
            limit = schema["maxLength"]
            for text in padded(schema, valid, limit):
                yield f"at maxLength {limit} ({len(text.encode())} bytes)", text, True
            over = padded(dict(schema, maxLength=limit + 1), valid, limit + 1)
            for text in over[:2]:
                yield f"over maxLength {limit}", text, False
        if "minLength" in schema and schema["minLength"] > 0:
            yield "under minLength", "", False
        if "enum" in schema:
            for value in schema["enum"]:
                yield f"enum {value}", value, True
            yield "off the enum", "not-" + schema["enum"][0], False
        if "pattern" in schema or "anyOf" in schema or "format" in schema:
            for probe in PROBES:
                yield f"probe {probe!r}", probe, matches(schema, probe)
    elif kind in ("integer", "number"):
        yield "wrong type", "1", False
        if "minimum" in schema:
            yield "at minimum", schema["minimum"], True
            yield "under minimum", schema["minimum"] - (1 if kind == "integer" else 0.01), False
        if "maximum" in schema:
            yield "at maximum", schema["maximum"], True
            yield "over maximum", schema["maximum"] + 1, False
    elif kind == "boolean":
        yield "wrong type", "true", False
    elif kind == "array":
        yield "wrong type", "x", False
        items = schema.get("items", {})
        if "maxItems" in schema:
            limit = schema["maxItems"]
            yield f"at maxItems {limit}", [sample(contract, items, key, i) for i in range(limit)], True
            yield f"over maxItems {limit}", [sample(contract, items, key, i) for i in range(limit + 1)], False
        if "x-berth-maxBytes" in schema:
            limit = schema["x-berth-maxBytes"]
            yield f"at x-berth-maxBytes {limit}", environment_of(limit, schema, contract), True
            yield f"over x-berth-maxBytes {limit}", environment_of(limit + 1, schema, contract), False
        one = sample(contract, items, key, 0)
        for label, value, ok in variants(contract, items, one, key):
            yield f"[0] {label}", [value], ok
    elif kind == "object":
        yield "wrong type", [], False
        properties = schema.get("properties", {})
        required = schema.get("required", [])
        base = valid if isinstance(valid, dict) else {}
        for name in required:
            yield f"without {name}", {k: v for k, v in base.items() if k != name}, False
        yield "unknown member", dict(base, bogusMember=1), False
        for name, member in properties.items():
            member_valid = base.get(name, sample(contract, member, name))
            for label, value, ok in variants(contract, member, member_valid, name):
                changed = dict(base, **{name: value})
                yield f".{name} {label}", changed, ok and object_rules_hold(schema, changed)


def environment_of(total, schema, contract):
    """Variables whose NAME=VALUE bytes plus one each sum to exactly TOTAL, within the per-item bounds."""
    entry, _ = contract.resolve(schema["items"])
    longest = entry["properties"]["value"]["maxLength"]
    variables, left, i = [], total, 0
    while left > 0:
        name = f"B{i:04d}"
        overhead = len(name) + 2
        size = min(longest, left - overhead)
        check(size >= 0, "environment sizes work out", left=left)
        variables.append({"name": name, "value": "v" * size})
        left -= overhead + size
        i += 1
    return variables


def cases(contract):
    """(method, label, params, expected_valid) for every method with params."""
    for method in contract.doc["methods"]:
        params = method["params"]
        if not params:
            continue
        name = method["name"]
        base = {}
        for p in params:
            if p.get("required"):
                base[p["name"]] = sample(contract, p["schema"], p["name"])
        yield name, "the required members", base, True
        yield name, "unknown member", dict(base, bogusMember=1), False
        for p in params:
            if p.get("required"):
                yield name, f"without {p['name']}", {k: v for k, v in base.items() if k != p["name"]}, False
            valid = base.get(p["name"], sample(contract, p["schema"], p["name"]))
            # x-berth-requires: params this one is meaningless without (memorySwap needs memory).
            needs = p.get("x-berth-requires", [])
            for label, value, ok in variants(contract, p["schema"], valid, p["name"]):
                changed = dict(base, **{p["name"]: value})
                yield name, f"{p['name']} {label}", changed, ok and all(n in changed for n in needs)


def outcome(node, cu, state, method, params):
    """The error kind the node answers (None for a result)."""
    for _ in range(2):
        try:
            result = state["rpc"].call(method, params, timeout=60)
            if method == "events.subscribe" and isinstance(result, dict) and "subscription" in result:
                state["rpc"].call("events.unsubscribe", {"subscription": result["subscription"]})
            if method == "container.install":
                state["rpc"].call("container.delete", {"id": params["id"]}, timeout=60)
            return None
        except RpcError as error:
            return error.kind
        except ConnectionClosed:
            state["rpc"] = node.connect(cu)
    raise AssertionError(f"{method}: the node closed the connection twice")


def test_rpc_discover_serves_the_document(cu):
    node = harness.Node.start_new(cu)
    with open(DOC_PATH) as f:
        check_equal(node.connect(cu).call("rpc.discover"), json.load(f), "rpc.discover")


class EnvSource(http.server.BaseHTTPRequestHandler):
    """Serves one variable at every path, so environmentSource URLs at any length can be fetched."""

    def do_GET(self):
        body = b"FROM_SOURCE=1\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve_environment(cu):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EnvSource)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cu.push("stop the environment source", lambda: (server.shutdown(), server.server_close()))
    return f"http://127.0.0.1:{server.server_address[1]}/env"


def test_env_set_honours_environment_source(cu):
    """container.env.set's environmentSource is fetched and merged as at install, and recorded (the
    node once accepted it and silently ignored it)."""
    source = serve_environment(cu)
    mgr = harness.Manager.start_new(cu)
    node = harness.Node.start_new(cu, manager=mgr)
    rpc = node.connect(cu)
    cid = harness.unique_name("envsrc")
    cu.container(f"ctr-{cid}")
    rpc.call("container.install", {"id": cid, "image": BUSYBOX, "environment": [{"name": "A", "value": "1"}]})
    result = rpc.call("container.env.set", {"id": cid, "environment": [{"name": "FROM_SOURCE", "value": "mine"}, {"name": "B", "value": "2"}],
                                            "environmentSource": source})
    check_equal(result["environment"], [{"name": "FROM_SOURCE", "value": "mine"}, {"name": "B", "value": "2"}],
                "the source's variables, the given ones winning")
    check_equal(result.get("environmentSource"), source, "the source is recorded")
    check_equal(rpc.call("container.env.get", {"id": cid}).get("environmentSource"), source, "env.get shows it")
    result = rpc.call("container.env.set", {"id": cid, "environment": [{"name": "C", "value": "3"}], "environmentSource": source + "/2"})
    check_equal(result["environment"], [{"name": "FROM_SOURCE", "value": "1"}, {"name": "C", "value": "3"}], "fetched again")
    result = rpc.call("container.env.set", {"id": cid, "environment": []})
    check_equal((result["environment"], result.get("environmentSource")), ([], None), "without a source: none recorded")
    rpc.call("container.delete", {"id": cid})


def test_the_node_agrees_with_every_case_the_document_implies(cu):
    with open(DOC_PATH) as f:
        contract = Contract(json.load(f))
    SAMPLES["environmentSource"] = serve_environment(cu)
    mgr = harness.Manager.start_new(cu)
    node = harness.Node.start_new(cu, manager=mgr)
    state = {"rpc": node.connect(cu)}
    disagreements, count = [], 0
    for method, label, params, valid in cases(contract):
        if method == "container.install":
            cu.container("ctr-" + str(params.get("id")))
        kind = outcome(node, cu, state, method, params)
        count += 1
        refused = kind in INVALID_KINDS
        if kind == "internal" or refused == valid:
            shown = json.dumps(params)
            disagreements.append(f"{method} {label}: the document says {'valid' if valid else 'invalid'}, "
                                 f"the node answered {kind or 'a result'} ({shown[:160]}{'...' if len(shown) > 160 else ''})")
    print(f"    {count} cases")
    check(not disagreements, f"{len(disagreements)} of {count} cases disagree:\n      " + "\n      ".join(disagreements))


if __name__ == "__main__":
    harness.main()
