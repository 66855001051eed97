#!/usr/bin/env python3
"""Generates src/kustomize/merge_keys/table.rs: the strategic-merge facts of the built-in
Kubernetes types, as kustomize v5.5.0 sees them.

kustomize (kyaml) embeds the Kubernetes v1.21.2 OpenAPI document as a gnostic protobuf
(kyaml/openapi/kubernetesapi/v1_21_2/swagger.pb). This script decodes that file with a small
protobuf wire-format reader (no dependencies), keeps, for every definition reachable from a
group/version/kind, the properties whose subtree holds an `x-kubernetes-patch-strategy`, and
writes them as Rust tables.

usage: gen_merge_keys.py SWAGGER_PB > src/kustomize/merge_keys/table.rs
  SWAGGER_PB: kustomize's kyaml/openapi/kubernetesapi/v1_21_2/swagger.pb at kustomize/v5.5.0
"""
import sys

def varint(b, i):
    shift = result = 0
    while True:
        c = b[i]; i += 1
        result |= (c & 0x7F) << shift
        if c < 0x80:
            return result, i
        shift += 7

def fields(b):
    """(field number, wire type, value) of a message; length-delimited values are bytes."""
    i, n = 0, len(b)
    while i < n:
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1:
            v = b[i:i+8]; i += 8
        elif wt == 2:
            ln, i = varint(b, i)
            v = b[i:i+ln]; i += ln
        elif wt == 5:
            v = b[i:i+4]; i += 4
        else:
            raise ValueError(f"wire type {wt}")
        yield num, wt, v

def named(b):
    name = value = None
    for num, _, v in fields(b):
        if num == 1: name = v.decode()
        elif num == 2: value = v
    return name, value

def any_yaml(b):
    for num, _, v in fields(b):
        if num == 2:
            return v.decode()
    return ""

def schema(b):
    s = {"ref": "", "type": [], "items": None, "props": {}, "additional": None, "ext": {}}
    for num, _, v in fields(b):
        if num == 1:
            s["ref"] = v.decode()
        elif num == 22:
            s["type"] = [x.decode() for n2, _, x in fields(v) if n2 == 1]
        elif num == 23:
            items = [schema(x) for n2, _, x in fields(v) if n2 == 1]
            s["items"] = items[0] if items else None
        elif num == 25:
            for n2, _, x in fields(v):
                if n2 == 1:
                    name, value = named(x)
                    s["props"][name] = schema(value)
        elif num == 21:
            for n2, _, x in fields(v):
                if n2 == 1:
                    s["additional"] = schema(x)
        elif num == 31:
            name, value = named(v)
            s["ext"][name] = any_yaml(value)
    return s

def yaml_scalar(text):
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        t = t[1:-1]
    return t

def yaml_list(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("- "):
            out.append(yaml_scalar(line[2:]))
    return out

def gvks(text):
    """Parses the x-kubernetes-group-version-kind extension (a YAML list of mappings)."""
    out, cur = [], None
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        if s.startswith("- "):
            cur = {}
            out.append(cur)
            s = s[2:]
        k, _, v = s.partition(":")
        cur[k.strip()] = yaml_scalar(v)
    return [(g.get("group", ""), g.get("version", ""), g.get("kind", "")) for g in out]

def main():
    data = open(sys.argv[1], "rb").read()
    defs = {}
    for num, _, v in fields(data):
        if num == 9:
            for n2, _, x in fields(v):
                if n2 == 1:
                    name, value = named(x)
                    defs[name] = schema(value)
    roots = {}
    for name, d in defs.items():
        ext = d["ext"].get("x-kubernetes-group-version-kind")
        if ext:
            for g in gvks(ext):
                roots[g] = name

    def resolve(s):
        seen = 0
        while s and s["ref"]:
            s = defs.get(s["ref"].split("/")[-1])
            seen += 1
            if seen > 50:
                return None
        return s

    memo = {}
    def interesting_def(name, stack=()):
        if name in memo:
            return memo[name]
        if name in stack:
            return False
        d = defs[name]
        r = any(interesting(p, stack + (name,)) for p in d["props"].values()) or \
            (d["additional"] is not None and interesting(d["additional"], stack + (name,)))
        memo[name] = r
        return r

    def interesting(s, stack=()):
        if s["ref"]:
            return interesting_def(s["ref"].split("/")[-1], stack)
        if s["ext"].get("x-kubernetes-patch-strategy"):
            return True
        if s["items"] is not None and interesting(s["items"], stack):
            return True
        if s["additional"] is not None and interesting(s["additional"], stack):
            return True
        return any(interesting(p, stack) for p in s["props"].values())

    # Number the kept definitions.
    kept = sorted(n for n in defs if interesting_def(n))
    index = {n: i for i, n in enumerate(kept)}

    def node(s):
        """A Rust Node expression for a property schema (after kyaml's ref resolution)."""
        if s["ref"]:
            name = s["ref"].split("/")[-1]
            r = resolve(s)
            strategy = r["ext"].get("x-kubernetes-patch-strategy", "").strip() if r else ""
            return f"Node {{ kind: Kind::Object({index[name]}), strategy: {strategy!r}, keys: &[] }}".replace("'", '"')
        strategy = yaml_scalar(s["ext"].get("x-kubernetes-patch-strategy", ""))
        if "x-kubernetes-list-map-keys" in s["ext"]:
            keys = yaml_list(s["ext"]["x-kubernetes-list-map-keys"])
        elif strategy and "x-kubernetes-patch-merge-key" in s["ext"]:
            keys = [yaml_scalar(s["ext"]["x-kubernetes-patch-merge-key"])]
        else:
            keys = []
        if not strategy:
            keys = []
        keys_rs = "&[" + ", ".join(f'"{k}"' for k in keys) + "]"
        if s["type"] == ["array"]:
            items = s["items"]
            inner = f"Some(&{node(items)})" if items is not None and interesting(items) else "None"
            kind = f"Kind::Array({inner})"
        elif s["additional"] is not None and interesting(s["additional"]):
            kind = f"Kind::Map(&{node(s['additional'])})"
        else:
            kind = "Kind::Leaf"
        return f'Node {{ kind: {kind}, strategy: "{strategy}", keys: {keys_rs} }}'

    print("// @generated by tools/gen_merge_keys.py from kustomize v5.5.0's embedded Kubernetes")
    print("// v1.21.2 OpenAPI document. Do not edit.")
    print("#![allow(clippy::all)]")
    print()
    print("use super::{Kind, Node};")
    print()
    print("/// The kept definitions: name and properties whose subtree holds a patch strategy.")
    print("pub(super) static DEFS: &[(&str, &[(&str, Node)])] = &[")
    for n in kept:
        d = defs[n]
        print(f'    ("{n}", &[')
        for pname in sorted(d["props"]):
            p = d["props"][pname]
            if interesting(p):
                print(f'        ("{pname}", {node(p)}),')
        print("    ]),")
    print("];")
    print()
    print("/// `(apiVersion, kind)` of every type whose definition was kept, sorted.")
    print("pub(super) static ROOTS: &[(&str, &str, usize)] = &[")
    rows = []
    for (g, v, k), name in roots.items():
        if name in index:
            api = f"{g}/{v}" if g else v
            rows.append((api, k, index[name]))
    for api, k, i in sorted(rows):
        print(f'    ("{api}", "{k}", {i}),')
    print("];")

main()
