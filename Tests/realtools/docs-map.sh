#!/usr/bin/env bash
# docs/architecture.md's map against the tree: every source file under Sources/ is named by a line of
# its "## Map" section (a path relative to the module's folder, or a glob such as `Exchange/*.swift`),
# and every name there matches a file. Also: every relative link between the docs pages (docs/*.md,
# README.md) points at a file that exists. Reads files only; starts nothing.
set -euo pipefail
ROOT=${BERTH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
exec python3 - "$ROOT" <<'PY'
import glob, os, re, sys

root = sys.argv[1]
sources = os.path.join(root, "Sources")
failures = []

# The map: "### Module ..." headings under "## Map"; `names` on the lines below are relative to
# Sources/Module ("### Executables": relative to Sources).
text = open(os.path.join(root, "docs", "architecture.md"), encoding="utf-8").read()
match = re.search(r"^## Map\n(.*?)(?=^## |\Z)", text, re.S | re.M)
if not match:
    sys.exit("docs-map: docs/architecture.md has no '## Map' section")
covered = set()
module = None
for line in match.group(1).splitlines():
    heading = re.match(r"^### (\S+)", line)
    if heading:
        module = heading.group(1)
        base = sources if module == "Executables" else os.path.join(sources, module)
        if not os.path.isdir(base):
            failures.append(f"map heading '### {module}': no folder {os.path.relpath(base, root)}")
        continue
    if module is None or not line.startswith("- "):
        continue
    for name in re.findall(r"`([^`\s]+\.(?:swift|c|h))`", line):
        found = [p for p in glob.glob(os.path.join(base, name)) if os.path.isfile(p)]
        if not found:
            failures.append(f"map line under '### {module}' names `{name}`, which matches no file")
        covered.update(os.path.relpath(p, root) for p in found)

for folder, _, files in os.walk(sources):
    for f in files:
        if f.endswith((".swift", ".c", ".h")):
            path = os.path.relpath(os.path.join(folder, f), root)
            if path not in covered:
                failures.append(f"{path} is named by no line of docs/architecture.md's map")

# Links between the pages: [text](target) with a relative target.
pages = sorted(glob.glob(os.path.join(root, "docs", "*.md"))) + [os.path.join(root, "README.md")]
for page in pages:
    body = open(page, encoding="utf-8").read()
    body = re.sub(r"```.*?```", "", body, flags=re.S)  # code blocks hold no links
    for target in re.findall(r"\]\(([^)\s]+)\)", body):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path = os.path.normpath(os.path.join(os.path.dirname(page), target.split("#")[0]))
        if not os.path.exists(path):
            failures.append(f"{os.path.relpath(page, root)}: link to {target}, which does not exist")

for failure in sorted(set(failures)):
    print(f"docs-map: FAIL: {failure}")
if failures:
    print("docs-map: add or correct the line in docs/architecture.md (## Map) or the link")
    sys.exit(1)
print(f"docs-map: ok: {len(covered)} source files mapped, links of {len(pages)} pages resolve")
PY
