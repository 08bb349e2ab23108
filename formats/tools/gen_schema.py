#!/usr/bin/env python3
"""Generate formats/src/schema/generated.rs from Falco's event schema.

Input: the `api/` folder of the `falco_event_schema` crate (crates.io, Apache-2.0;
the C tables inside are falcosecurity/libs' driver tables, MIT OR GPL-2.0), i.e.
`~/.cargo/registry/src/*/falco_event_schema-X.Y.Z/api` after `cargo fetch`.

Why generate instead of depending on the crate at run time: the crate turns the
table into one typed struct per event (good for plugins), but offers no runtime
description (name, direction, parameter names/types/print formats, flag names)
that a table-driven decoder and sysdig-style renderer need, and it stops at the
libs 0.21 schema. We keep its table as the base and append, in HEAD_APPENDS below,
the parameters current libs added since (documented in shared/specs/scap.md 2.6/2.7).

Second input: the event table of the libs release that Stratoshark 0.9,
Wireshark 4.6 and sysdig 0.41 read with (libs 0.23), as printed from the
library itself by `libs_event_table.c` (see `libs-0.23.2-events.tsv`). Where that
table's exit layouts carry more parameters than the crate's (libs 0.22/0.23
moved the enter parameters into the exits), the extra ones are appended with
their types, print formats and flag names; its parameter counts and flags become
the `stratoshark` layout (`libs023_nparams`, `libs023_flags`).

Usage: python3 formats/tools/gen_schema.py API_DIR formats/tools/libs-0.23.2-events.tsv > formats/src/schema/generated.rs
       rustfmt --edition 2021 formats/src/schema/generated.rs
(checked: with falco_event_schema 0.5.1's api/, the result is byte-identical to
the file in the tree)
"""
import errno
import os
import re
import signal
import sys

api = sys.argv[1]
hdr = open(os.path.join(api, "ppm_events_public.h")).read().replace("\\\n", " ")
table = open(os.path.join(api, "event_table.c")).read()
flags_c = open(os.path.join(api, "flags_table.c")).read()
dyn_c = open(os.path.join(api, "dynamic_params_table.c")).read()

# --- #defines and enums -------------------------------------------------------
defs = {}
for m in re.finditer(r"^#define\s+(PPM_\w+|SCAP_\w+)\s+(.+?)\s*(?:/\*.*)?$", hdr, re.M):
    defs[m.group(1)] = m.group(2)
hdr_nc = re.sub(r"/\*.*?\*/", "", hdr, flags=re.S)
hdr_nc = re.sub(r"//.*", "", hdr_nc)


def enum_items():
    """Each C enum of the header as its items: (name, value expression or None)."""
    for m in re.finditer(r"enum\s*\w*\s*\{(.*?)\}", hdr_nc, re.S):
        items = []
        for item in m.group(1).split(","):
            item = item.strip()
            if item:
                k, _, v = item.partition("=")
                items.append((k.strip(), v.strip() if v else None))
        yield items


enums = list(enum_items())
# First every item's expression, so that the numbering below can refer to
# items defined later; implicit items get a number only before the first
# explicit value of their enum (the numbering below gives the rest).
for items in enums:
    val = -1
    for k, v in items:
        if v is not None:
            defs[k] = v
            val = None
        else:
            val = val + 1 if val is not None else None
            defs[k] = str(val)


def cval(expr, depth=0):
    expr = expr.strip()
    if depth > 20:
        raise ValueError(expr)
    def sub(m):
        name = m.group(0)
        if name in defs:
            return "(" + str(cval(defs[name], depth + 1)) + ")"
        raise KeyError(name)
    e = re.sub(r"\(\s*(u?int\d+_t|unsigned|long)\s*\)", "", expr)
    e = re.sub(r"\b[A-Za-z_]\w*\b", sub, e)
    e = re.sub(r"(\d+)[uUlL]+\b", r"\1", e)
    e = re.sub(r"\b0([0-7]+)\b", r"0o\1", e)  # C octal literals
    return int(eval(e))

# Number the enums now that every expression is known.
for items in enums:
    val = -1
    for k, v in items:
        try:
            val = cval(v) if v is not None else val + 1
        except Exception:
            break  # not a plain C enum (matched inside a macro or struct)
        if re.fullmatch(r"\w+", k):
            defs[k] = str(val)

# --- flag tables ---------------------------------------------------------------
flag_tables = {}
for m in re.finditer(r"const struct ppm_name_value (\w+)\[\]\s*=\s*\{(.*?)\};", flags_c, re.S):
    entries = []
    for e in re.finditer(r'\{"([^"]+)",\s*([^}]+)\}', m.group(2)):
        entries.append((e.group(1), cval(e.group(2))))
    flag_tables[m.group(1)] = entries

# --- dynamic params --------------------------------------------------------------
dyn_tables = {}
for m in re.finditer(r"const struct ppm_param_info (\w+)\[\w+\]\s*=\s*\{(.*?)\};", dyn_c, re.S):
    entries = []
    for e in re.finditer(r"\[(\w+)\]\s*=\s*\{\{0\},\s*(PT_\w+),\s*(PF_\w+)", m.group(2)):
        entries.append((cval(e.group(1)), e.group(2), e.group(3)))
    entries.sort()
    dyn_tables[m.group(1)] = [(t, f) for _, t, f in entries]

# --- event table ----------------------------------------------------------------
body = table[table.index("g_event_info[]"):]
body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
events = {}
for m in re.finditer(r"\[(PPME_\w+)\]\s*=\s*\{\s*\"([^\"]*)\"\s*,\s*([^,]+),\s*([^,]+),\s*(\d+)\s*(.*?)\}\s*,\s*(?=\[PPME_|\};)", body, re.S):
    ename, name, cat, flg, n, rest = m.groups()
    params = []
    for p in re.finditer(r"\{\"([^\"]+)\",\s*(PT_\w+),\s*(PF_\w+)(?:,\s*([^,}]+))?(?:,\s*([^,}]+))?\s*\}", rest):
        params.append([p.group(1), p.group(2), p.group(3), (p.group(4) or "").strip()])
    assert len(params) == int(n), (ename, n, params)
    events[cval(ename)] = dict(ename=ename, name=name, cat=cat.strip(), flags=flg.strip(), params=params)

max_id = cval("PPM_EVENT_MAX")

# Parameters appended by libs releases after the crate's table (scap.md 2.6/2.7).
HEAD_APPENDS = {
    "PPME_SYSCALL_CLOSE_X": [["fd", "PT_FD", "PF_DEC", ""]],
    "PPME_SOCKET_CONNECT_X": [["addr", "PT_SOCKADDR", "PF_NA", ""]],
    "PPME_SOCKET_ACCEPT4_6_X": [["flags", "PT_INT32", "PF_HEX", ""]],
    "PPME_SYSCALL_EXECVE_19_X": [["filename", "PT_FSPATH", "PF_NA", ""]],
    "PPME_SYSCALL_SETUID_X": [["uid", "PT_UID", "PF_DEC", ""]],
    "PPME_SYSCALL_PTRACE_X": [["request", "PT_ENUMFLAGS16", "PF_DEC", "ptrace_requests"],
                              ["pid", "PT_PID", "PF_DEC", ""]],
    "PPME_SOCKET_SOCKET_X": [["flags", "PT_FLAGS32", "PF_HEX", ""]],
}
for ev in events.values():
    ev["compat"] = len(ev["params"])
    for extra in HEAD_APPENDS.get(ev["ename"], []):
        if extra[0] not in [p[0] for p in ev["params"]]:
            ev["params"].append(extra)

# --- the libs 0.23 table, as the library itself holds it -----------------------
pt_names = {cval(k): k for k in defs if k.startswith("PT_") and re.fullmatch(r"PT_[A-Z0-9_]+", k)}
pf_names = {0: "PF_NA", 1: "PF_DEC", 2: "PF_HEX", 3: "PF_DEC", 4: "PF_DEC", 5: "PF_NA", 6: "PF_OCT"}
new_flag_tables = {}


def flag_table_for(ev_name, pname, text):
    entries = []
    for item in text.split(","):
        n, v = item.rsplit("=", 1)
        entries.append((n, int(v)))
    for name, known in list(flag_tables.items()) + list(new_flag_tables.items()):
        if known == entries:
            return name
    name = f"{ev_name}_{pname}".lower()
    new_flag_tables[name] = entries
    flag_tables[name] = entries
    return name


libs_max = None
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    if f[0] == "END":
        libs_max = int(f[1])
        break
    i, name, _cat, flg, n = int(f[0]), f[1], f[2], int(f[3]), int(f[4])
    ev = events.get(i)
    if ev is None:
        continue
    ev["libs023_nparams"] = n
    ev["libs023_flags"] = flg
    for k, spec in enumerate(f[5:]):
        pname, ptype, pfmt, *info = spec.split(":", 3)
        if k < len(ev["params"]):
            assert ev["params"][k][0] == pname, (ev["ename"], k, pname, ev["params"][k])
            continue
        ptype = pt_names[int(ptype)]
        aux = ""
        if info and info[0].startswith("dirfd="):
            aux = f"DIRFD_PARAM({info[0][6:]})"
        elif info and info[0] and not info[0].startswith("dyn="):
            aux = flag_table_for(ev["name"], pname, info[0])
        ev["params"].append([pname, ptype, pf_names[int(pfmt)], aux])
assert libs_max == max_id, (libs_max, max_id)


def rs_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def camel(pt):
    return "".join(w.capitalize() for w in pt[3:].lower().split("_"))


def cat_expr(c):
    parts = [x.strip() for x in c.split("|")]
    return " | ".join(f"cat::{p[3:]}" for p in parts)


def flags_expr(f):
    parts = [x.strip() for x in f.split("|")]
    return " | ".join(f"ef::{p[3:]}" for p in parts)


out = []
w = out.append
w("// @generated by formats/tools/gen_schema.py from the falco_event_schema crate's")
w("// api/ tables (falcosecurity/libs driver tables, MIT OR GPL-2.0) plus the HEAD")
w("// appends listed in the script and the libs 0.23 layouts of")
w("// formats/tools/libs-0.23.2-events.tsv. Do not edit by hand.")
w("#![allow(clippy::all, dead_code)]")
w("use super::{cat, ef, EventInfo, ParamInfo, ParamAux, ParamType, PrintFormat, DynAlt};")
w("")
w(f"/// One past the highest event id in this table (`PPM_EVENT_MAX`).")
w(f"pub const EVENT_MAX: u16 = {max_id};")
w("")
used_flags = set()
used_dyn = set()
w("pub(super) static EVENTS: [EventInfo; EVENT_MAX as usize] = [")
for i in range(max_id):
    ev = events.get(i)
    if ev is None:
        w(f'    EventInfo {{ name: "NA", enum_name: "", category: 0, flags: ef::UNUSED, compat_nparams: 0, libs023_nparams: 0, libs023_flags: ef::UNUSED, params: &[] }},')
        continue
    ps = []
    for pn, pt, pf, info in ev["params"]:
        aux = "ParamAux::None"
        if info.startswith("DIRFD_PARAM"):
            dirfd_idx = int(re.search(r"(\d+)", info).group(1))
            aux = f"ParamAux::DirFd({dirfd_idx})"
        elif info in flag_tables:
            aux = f"ParamAux::Flags(FLAGS_{info.upper()})"
            used_flags.add(info)
        elif info in dyn_tables:
            aux = f"ParamAux::Dyn(DYN_{info.upper()})"
            used_dyn.add(info)
        elif info and info != "0":
            raise SystemExit(f"unknown param info {info} in {ev['ename']}")
        ps.append(f"ParamInfo {{ name: {rs_str(pn)}, ty: ParamType::{camel(pt)}, fmt: PrintFormat::{camel(pf.replace('PF_', 'PT_'))}, aux: {aux} }}")
    w(f"    // {i}")
    w(f"    EventInfo {{ name: {rs_str(ev['name'])}, enum_name: {rs_str(ev['ename'])}, category: {cat_expr(ev['cat'])}, flags: {flags_expr(ev['flags'])}, compat_nparams: {ev['compat']}, libs023_nparams: {ev.get('libs023_nparams', 0)}, libs023_flags: {ev.get('libs023_flags', 64):#x}, params: &[")
    for p in ps:
        w(f"        {p},")
    w("    ] },")
w("];")
w("")
for name in sorted(flag_tables):
    entries = flag_tables[name]
    w(f"/// `{name}` from the libs flag tables, in table order (the renderer relies on it).")
    w(f"pub static FLAGS_{name.upper()}: &[(&str, u32)] = &[")
    for n, v in entries:
        w(f"    ({rs_str(n)}, {v & 0xffffffff:#x}),")
    w("];")
for name in sorted(dyn_tables):
    w(f"pub(super) static DYN_{name.upper()}: &[DynAlt] = &[")
    for t, f in dyn_tables[name]:
        w(f"    DynAlt {{ ty: ParamType::{camel(t)}, fmt: PrintFormat::{camel(f.replace('PF_', 'PT_'))} }},")
    w("];")
w("")
sc = sorted((int(n), name.lower()) for name, n in re.findall(r"PPM_SC_X\((\w+),\s*(\d+)\)", hdr))
w("/// Syscall names by `ppm_sc_code` (the generic `syscall` event's `ID`).")
w("pub static SYSCALL_NAMES: &[(u16, &str)] = &[")
for n, name in sc:
    w(f"    ({n}, {rs_str(name)}),")
w("];")
# errno and signal names from the build host's Python (Linux values).
w("/// Linux errno names by number.")
w("pub static ERRNO_NAMES: &[(u16, &str)] = &[")
for num in sorted(errno.errorcode):
    w(f"    ({num}, {rs_str(errno.errorcode[num])}),")
w("];")
w("/// Linux signal names by number.")
w("pub static SIGNAL_NAMES: &[(u8, &str)] = &[")
seen = set()
for s in sorted(signal.Signals, key=lambda s: s.value):
    if s.value in seen or s.name.startswith("SIG_") or s.name in ("SIGIOT", "SIGPOLL", "SIGCLD"):
        continue
    seen.add(s.value)
    w(f"    ({s.value}, {rs_str(s.name)}),")
w("];")
print("\n".join(out))
