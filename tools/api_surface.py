#!/usr/bin/env python3
"""Count sealed-session's public API from rustdoc's JSON (issue 18's figures).

    cargo +nightly rustdoc -p sealed-session --all-features -- \
        -Z unstable-options --output-format json
    python3 tools/api_surface.py target/doc/sealed_session.json [--list]

Walks the public module tree from the crate root (following `pub use`),
skipping `#[doc(hidden)]` items. Types are structs, enums, unions, traits and
type aliases; methods are the functions of their inherent impls plus the
methods a public trait declares (trait impls such as `Clone` are not counted);
error types are the types that implement `std::error::Error`.
"""
import json
import sys
from collections import Counter

path = sys.argv[1] if len(sys.argv) > 1 else "target/doc/sealed_session.json"
listing = "--list" in sys.argv
doc = json.load(open(path))
index = doc["index"]
paths = doc["paths"]


def hidden(item):
    return any("hidden" in json.dumps(a) and "doc" in json.dumps(a) for a in item.get("attrs", []))


types, fns, consts, mods = {}, {}, {}, {}
seen = set()


def walk(item_id, prefix):
    item = index.get(str(item_id))
    if item is None or item_id in seen:
        return
    seen.add(item_id)
    if hidden(item):
        return
    kind, inner = next(iter(item["inner"].items()))
    name = item.get("name")
    if kind == "module":
        mods[item_id] = prefix
        for child in inner["items"]:
            c = index.get(str(child))
            if c is None or c.get("visibility") != "public" and "use" not in c["inner"]:
                continue
            if c.get("visibility") != "public":
                continue
            cname = c.get("name")
            walk(child, f"{prefix}::{cname}" if cname else prefix)
    elif kind == "use":
        target = inner.get("id")
        if target is not None and str(target) in index:
            tgt = index[str(target)]
            if inner.get("is_glob"):
                seen.discard(target)
                walk(target, prefix)
            else:
                walk(target, prefix.rsplit("::", 1)[0] + "::" + inner["name"])
    elif kind in ("struct", "enum", "union", "trait", "type_alias"):
        types[item_id] = (prefix, kind)
    elif kind == "function":
        fns[item_id] = prefix
    elif kind in ("constant", "static"):
        consts[item_id] = prefix


root = doc["root"]
walk(root, index[str(root)]["name"])

methods = []
errors = []
for tid, (tpath, kind) in types.items():
    t = index[str(tid)]
    inner = t["inner"][kind]
    if kind == "trait":
        for m in inner["items"]:
            mi = index[str(m)]
            if "function" in mi["inner"] and not hidden(mi):
                methods.append(f"{tpath}::{mi['name']}")
        continue
    for impl_id in inner.get("impls", []):
        impl = index[str(impl_id)]["inner"]["impl"]
        trait = impl.get("trait")
        if trait is not None:
            if trait.get("path", "").split("::")[-1] == "Error" and not impl.get("is_synthetic"):
                errors.append(tpath)
            continue
        if impl.get("is_synthetic") or impl.get("blanket_impl"):
            continue
        for m in impl["items"]:
            mi = index[str(m)]
            if "function" in mi["inner"] and mi.get("visibility") == "public" and not hidden(mi):
                methods.append(f"{tpath}::{mi['name']}")

errors = sorted(set(errors))
kinds = Counter(k for _, k in types.values())
at_twins = sorted(m for m in methods if m.endswith("_at"))
getters = sorted(m for m in methods if m.rsplit("::", 1)[-1].startswith("get_"))
print(f"public types:    {len(types)}  ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))})")
print(f"public methods:  {len(methods)}")
print(f"free functions:  {len(fns)}")
print(f"constants:       {len(consts)}")
print(f"error types:     {len(errors)}")
print(f"*_at methods:    {len(at_twins)}")
print(f"get_* methods:   {len(getters)}")
per_type = Counter(m.rsplit("::", 1)[0] for m in methods)
rs = [t for t in per_type if t.endswith("::RevocationSet")]
for t in rs:
    print(f"RevocationSet:   {per_type[t]} methods")
if listing:
    print("\n# types")
    for p, k in sorted(types.values()):
        print(f"  {k:10} {p}  ({per_type.get(p, 0)} methods)")
    print("\n# error types")
    for e in errors:
        print(f"  {e}")
    print("\n# functions")
    for p in sorted(fns.values()):
        print(f"  {p}")
    print("\n# *_at")
    for m in at_twins:
        print(f"  {m}")
    print("\n# methods")
    for m in sorted(methods):
        print(f"  {m}")
