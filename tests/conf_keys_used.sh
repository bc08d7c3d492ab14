#!/usr/bin/env bash
# Every configuration key is documented in etc/rampart.conf and read somewhere outside the parser
# (DESIGN.md: a key that is parsed and never read is a defect). Fields come from etc/conf_keys.c.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
exec python3 - "$src" <<'PY'
import re, sys, os
src = sys.argv[1]
table = open(os.path.join(src, "etc/conf_keys.c")).read()
rows = re.findall(r'[USBL]\("(\w+)", "(\w+)", (?:CT_\w+, )?(\w+)', table)
rows += re.findall(r'\{"(\w+)", "(\w+)", CT_\w+, F\((\w+)\)', table)
if len(rows) < 30:
    sys.exit(f"FAIL: only {len(rows)} keys found in etc/conf_keys.c (parser of this test is stale?)")
doc = open(os.path.join(src, "etc/rampart.conf")).read()
sections = {}
cur = None
for line in doc.splitlines():
    m = re.match(r'\[(\w+)\]', line)
    if m:
        cur = m.group(1)
    m = re.match(r'#? ?(\w+)\s*=', line)
    if m and cur:
        sections.setdefault(cur, set()).add(m.group(1))
code = []
for d in ("server", "ike", "esp", "l2tp", "auth", "natt"):
    for root, _, files in os.walk(os.path.join(src, d)):
        for f in files:
            if f.endswith(".c") and not re.match(r'(test|fuzz|bench)_', f):
                code.append(open(os.path.join(root, f)).read())
code = "\n".join(code)
fails = 0
for sec, key, field in rows:
    if key not in sections.get(sec, ()):
        print(f"FAIL: {sec}.{key} is not documented in etc/rampart.conf"); fails += 1
    if not re.search(r'(->|\.)' + field + r'\b', code):
        print(f"FAIL: {sec}.{key} (struct conf .{field}) is never read outside the parser"); fails += 1
print(f"{len(rows)} keys checked, {fails} problems")
sys.exit(1 if fails else 0)
PY
