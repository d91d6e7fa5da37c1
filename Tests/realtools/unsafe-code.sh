#!/usr/bin/env bash
# The rule of docs/architecture.md ("Unsafe code and Glibc"): system calls go through BerthSystem's
# types, so outside Sources/BerthSystem (and the C of Sources/CBerthShims) no Swift file under
# Sources/ imports Glibc or uses unsafe pointers (Unsafe*, withUnsafe*, unsafeBitCast,
# assumingMemoryBound, OpaquePointer), except the files of the allow-list below, each with its
# reason. Comments are not code: a doc comment naming `UnsafeBufferPointer` breaks no rule.
# A listed file that no longer needs its exception fails too, so the list only ever shrinks.
# Reads files only; starts nothing.
set -euo pipefail
ROOT=${BERTH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
exec python3 - "$ROOT" <<'PY'
import os, re, sys

root = sys.argv[1]

# Unsafe code that stays outside BerthSystem: the byte-level hot paths of the wire, kept in the files
# named for them (docs/architecture.md lists the same files and says why).
UNSAFE_ALLOWED = {
    "Sources/BerthProtocol/JSON/JSONParser.swift": "the parser's hot loop reads the line in place",
    "Sources/BerthProtocol/JSON/JSONSerializer.swift": "the serializer writes into the output buffer",
    "Sources/BerthProtocol/Framing/LineFramer.swift": "the framer hands each line over without a copy",
    "Sources/BerthProtocol/RPC/RPCFrame.swift": "decodes the framer's line in place",
    "Sources/BerthProtocol/Crypto/SHA256.swift": "compresses whole 64-byte blocks",
    # The secure channel sits between a read's buffer and the framer: records are cut out of the
    # chunk as it is, and the lines before the switch go to the framer in place.
    "Sources/BerthProtocol/Channel/ChannelReader.swift": "hands a read's chunk to the framer, then to the record opener, in place",
    "Sources/BerthProtocol/Channel/ChannelRecords.swift": "cuts whole records out of a read's chunk in place",
    # The client's zero-copy read path: a PollLoop's read buffer goes through the framer into
    # Conversation (or the agent's request parser) in place. They name the buffer type and do no
    # pointer arithmetic or system calls; the fan-out's cost per node is these reads.
    "Sources/BerthClient/Agent/AgentClient.swift": "reads the agent's answers from the PollLoop's buffer in place",
    "Sources/BerthAgent/AgentServer.swift": "reads clients' lines and nodes' answers from the PollLoop's buffer in place",
    "Sources/BerthClient/Exchange/Conversation.swift": "takes a node's line from the framer in place",
    "Sources/BerthClient/Exchange/NodePeer.swift": "reads a node's answers from the PollLoop's buffer in place",
}

# Glibc outside BerthSystem: none. A file that needs a system call extends BerthSystem's type for it;
# an exception would be listed here with its reason (and an entry that is no longer needed fails).
GLIBC_ALLOWED = {
}

EXEMPT = ("Sources/BerthSystem/", "Sources/CBerthShims/")
GLIBC = re.compile(r"^\s*(@\w+\s+)*import\s+(\w+\s+)?Glibc\b")
UNSAFE = re.compile(r"\b(Unsafe\w*|withUnsafe\w*|unsafeBitCast|unsafeDowncast|assumingMemoryBound|OpaquePointer)\b")

def code_lines(text):
    """The lines with comments and string literals' contents blanked (a rough but sufficient lexer:
    Berth's sources keep block comments out of code lines)."""
    in_block = False
    for number, line in enumerate(text.splitlines(), 1):
        if in_block:
            if "*/" not in line:
                continue
            line, in_block = line.split("*/", 1)[1], False
        line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
        line = re.sub(r"/\*.*?\*/", "", line)
        if "/*" in line:
            line, in_block = line.split("/*", 1)[0], True
        yield number, line.split("//", 1)[0]

failures = []
uses_unsafe, uses_glibc = set(), set()
for folder, _, files in os.walk(os.path.join(root, "Sources")):
    for name in sorted(files):
        if not name.endswith(".swift"):
            continue
        path = os.path.relpath(os.path.join(folder, name), root)
        if path.startswith(EXEMPT):
            continue
        for number, line in code_lines(open(os.path.join(root, path), encoding="utf-8").read()):
            if GLIBC.search(line):
                uses_glibc.add(path)
                if path not in GLIBC_ALLOWED:
                    failures.append(f"{path}:{number}: imports Glibc; rule: system calls go through "
                                    "BerthSystem's types (extend the one that fits)")
            found = UNSAFE.search(line)
            if found:
                uses_unsafe.add(path)
                if path not in UNSAFE_ALLOWED:
                    failures.append(f"{path}:{number}: uses {found.group(1)}; rule: unsafe code lives in "
                                    "BerthSystem or in an allow-listed hot-path file of docs/architecture.md")

for path in sorted(set(GLIBC_ALLOWED) - uses_glibc):
    failures.append(f"{path}: allowed to import Glibc but no longer does; remove it from GLIBC_ALLOWED")
for path in sorted(set(UNSAFE_ALLOWED) - uses_unsafe):
    failures.append(f"{path}: allowed unsafe code but has none (or is gone); remove it from UNSAFE_ALLOWED")

for failure in failures:
    print(f"unsafe-code: FAIL: {failure}")
if failures:
    print("unsafe-code: the rule and its allow-list: Tests/realtools/unsafe-code.sh, docs/architecture.md")
    sys.exit(1)
print(f"unsafe-code: ok: {len(uses_glibc)} files import Glibc and {len(uses_unsafe)} use unsafe pointers "
      "outside BerthSystem, each allow-listed")
PY
