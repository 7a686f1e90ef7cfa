#!/usr/bin/env python3
"""
scripts/gen-model.py - generates src/api/model_gen.c, the input-shape tables
that api/validate.c checks request bodies against.

Reads the botocore service models installed on this machine (events,
kms, secretsmanager, sqs; gzipped JSON) and emits, for every operation, the tree
of shapes reachable from its input: type, min/max, pattern (model text
plus a PCRE2 form), enum values in the order AWS prints them, sensitive
flag, structure members (wire name, message path, required), list and
map member shapes; plus the (targetPrefix, operation) -> input table.

Usage: python3 scripts/gen-model.py [-o src/api/model_gen.c] [--check]   (or: make gen)
The output is deterministic; re-run it after a botocore upgrade and commit.
--check writes nothing and exits 1 if the committed file is out of date.
"""

import argparse
import gzip
import json
import os
import sys

SERVICES = [
    # (botocore directory, API version, expected targetPrefix)
    ("events", "2015-10-07", "AWSEvents"),
    ("kms", "2014-11-01", "TrentService"),
    ("secretsmanager", "2017-10-17", "secretsmanager"),
    ("sqs", "2012-11-05", "AmazonSQS"),
]

# Enums the service itself checks with its own error (SQS answers an unknown
# attribute name with InvalidAttributeName "Unknown Attribute X.", not a
# ValidationException), so the tables leave them unconstrained.
UNCHECKED_ENUMS = {
    ("sqs", "QueueAttributeName"),
    ("sqs", "MessageSystemAttributeName"),
    ("sqs", "MessageSystemAttributeNameForSends"),
}

# Enums whose values AWS prints in messages in an order that differs from
# the model (recorded against real AWS, spec/validation.md section 2).
# Keyed by (service, shape); the value must be a permutation of the model list.
ENUM_PRINT_ORDER = {
    ("events", "ConnectionAuthorizationType"): ["BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY"],
    ("events", "ApiDestinationHttpMethod"): [
        "HEAD", "POST", "PATCH", "DELETE", "PUT", "GET", "OPTIONS"],
}

TYPES = {
    "structure": "EV_SHAPE_STRUCTURE",
    "list": "EV_SHAPE_LIST",
    "map": "EV_SHAPE_MAP",
    "string": "EV_SHAPE_STRING",
    "integer": "EV_SHAPE_INTEGER",
    "long": "EV_SHAPE_LONG",
    "boolean": "EV_SHAPE_BOOLEAN",
    "timestamp": "EV_SHAPE_TIMESTAMP",
    "blob": "EV_SHAPE_BLOB",
    "double": "EV_SHAPE_DOUBLE",
    "float": "EV_SHAPE_FLOAT",
}

# Java's '.' matches anything but a line terminator: \n \r U+0085 U+2028
# U+2029. PCRE2's '.' only excludes the newline convention (\n), so every
# unescaped '.' outside a character class is spelled out.
JAVA_DOT = r"[^\n\r\x{85}\x{2028}\x{2029}]"


def fail(msg):
    sys.stderr.write("gen-model.py: %s\n" % msg)
    sys.exit(1)


def botocore_data_dir():
    try:
        import botocore
    except ImportError:
        fail("botocore is not installed (pip install botocore)")
    return os.path.join(os.path.dirname(botocore.__file__), "data")


def load_model(data, svc, version):
    path = os.path.join(data, svc, version, "service-2.json.gz")
    if not os.path.exists(path):
        path = path[:-3]
        if not os.path.exists(path):
            fail("no model for %s/%s under %s" % (svc, version, data))
        with open(path, "rb") as f:
            return json.load(f)
    with gzip.open(path, "rb") as f:
        return json.load(f)


def java_to_pcre2(pat):
    """Rewrites the Java regex syntax PCRE2 reads differently: \\uXXXX and '.'.
    Rejects Java-only constructs (nested classes, &&, \\Q) rather than
    silently compiling them to something else."""
    out = []
    i, n = 0, len(pat)
    in_class = False
    class_start = 0
    while i < n:
        c = pat[i]
        if c == "\\":
            if i + 1 >= n:
                fail("trailing backslash in pattern %r" % pat)
            e = pat[i + 1]
            if e == "u":
                hexd = pat[i + 2:i + 6]
                if len(hexd) != 4 or any(h not in "0123456789abcdefABCDEF" for h in hexd):
                    fail("bad \\u escape in pattern %r" % pat)
                out.append("\\x{%s}" % hexd)
                i += 6
                continue
            if e in "QEZ" or e == "R" or e == "X":
                fail("unsupported escape \\%s in pattern %r" % (e, pat))
            out.append(pat[i:i + 2])
            i += 2
            continue
        if in_class:
            if c == "[":
                fail("nested character class (Java union) in pattern %r" % pat)
            if c == "&" and pat[i + 1:i + 2] == "&":
                fail("class intersection in pattern %r" % pat)
            if c == "]":
                if i == class_start:
                    fail("leading ']' in a class in pattern %r" % pat)
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if pat[i:i + 1] == "^":
                out.append("^")
                i += 1
            class_start = i
            continue
        if c == ".":
            out.append(JAVA_DOT)
        else:
            out.append(c)
        i += 1
    if in_class:
        fail("unterminated class in pattern %r" % pat)
    return "".join(out)


def c_tokens(s):
    """C string-literal body as tokens (an escape is one token). A '?' that
    follows another '?' is escaped so no trigraph can form."""
    toks = []
    prev = ""
    for b in s.encode("utf-8"):
        ch = chr(b)
        if ch == "\\":
            toks.append("\\\\")
        elif ch == '"':
            toks.append('\\"')
        elif ch == "?":
            toks.append("\\?" if prev == "?" else "?")
        elif 32 <= b < 127:
            toks.append(ch)
        else:
            toks.append("\\%03o" % b)
        prev = ch
    return toks


def c_string(s):
    return '"' + "".join(c_tokens(s)) + '"'


def c_string_lines(s, indent, width=100):
    """A C string literal split into adjacent literals that fit `width`."""
    lines, cur = [], ""
    room = width - len(indent) - 3
    for t in c_tokens(s):
        if len(cur) + len(t) > room:
            lines.append(cur)
            cur = ""
        cur += t
    lines.append(cur)
    return [indent + '"' + l + '"' for l in lines]


def message_name(member):
    """AWS message path segment: only the first character is lowercased."""
    return member[:1].lower() + member[1:]


class Gen:
    def __init__(self):
        self.shapes = []          # list of dicts, index = C index
        self.index = {}           # (svc, shape name) -> index
        self.patterns = []        # list of model pattern texts
        self.pattern_index = {}
        self.enums = []           # list of tuples (print order)
        self.enum_index = {}
        self.ops = []             # (prefix, op, shape index)

    def pattern(self, text):
        if text not in self.pattern_index:
            self.pattern_index[text] = len(self.patterns)
            self.patterns.append(text)
        return self.pattern_index[text]

    def enum(self, values):
        key = tuple(values)
        if key not in self.enum_index:
            self.enum_index[key] = len(self.enums)
            self.enums.append(key)
        return self.enum_index[key]

    def shape(self, svc, model, name):
        key = (svc, name)
        if key in self.index:
            return self.index[key]
        src = model["shapes"].get(name)
        if src is None:
            fail("%s: unknown shape %s" % (svc, name))
        t = src["type"]
        if t not in TYPES:
            fail("%s: shape %s has unsupported type %s" % (svc, name, t))
        idx = len(self.shapes)
        self.index[key] = idx
        sh = {"svc": svc, "name": name, "type": t, "sensitive": bool(src.get("sensitive"))}
        self.shapes.append(sh)
        for k in ("min", "max"):
            if k in src:
                v = src[k]
                if isinstance(v, float) and v.is_integer():
                    v = int(v)
                if not isinstance(v, int):
                    fail("%s: %s.%s is not an integer (%r)" % (svc, name, k, v))
                sh[k] = v
        if "pattern" in src:
            if t != "string":
                fail("%s: pattern on non-string shape %s" % (svc, name))
            java_to_pcre2(src["pattern"])
            sh["pattern"] = self.pattern(src["pattern"])
        if "enum" in src and key not in UNCHECKED_ENUMS:
            values = list(src["enum"])
            order = ENUM_PRINT_ORDER.get(key)
            if order is not None:
                if sorted(order) != sorted(values):
                    fail("enum override for %s no longer matches the model %r" % (name, values))
                values = order
            sh["enum"] = self.enum(values)
        if t == "structure":
            required = set(src.get("required", []))
            members = []
            for mname, m in src.get("members", {}).items():
                members.append({"name": mname, "path": message_name(mname),
                                "required": mname in required,
                                "shape": self.shape(svc, model, m["shape"])})
            unknown = required - set(src.get("members", {}))
            if unknown:
                fail("%s: %s requires unknown members %r" % (svc, name, sorted(unknown)))
            sh["members"] = members
        elif t == "list":
            sh["elem"] = self.shape(svc, model, src["member"]["shape"])
        elif t == "map":
            sh["key"] = self.shape(svc, model, src["key"]["shape"])
            sh["elem"] = self.shape(svc, model, src["value"]["shape"])
        return idx

    def service(self, svc, model, prefix):
        got = model["metadata"].get("targetPrefix")
        if got != prefix:
            fail("%s: targetPrefix is %r, expected %r" % (svc, got, prefix))
        for op in model["operations"].values():
            inp = op.get("input")
            if inp is None:
                fail("%s: operation %s has no input shape" % (svc, op["name"]))
            self.ops.append((prefix, op["name"], self.shape(svc, model, inp["shape"])))

    def emit(self, out, sources):
        w = out.append
        w("/*")
        w(" * api/model_gen.c - GENERATED by scripts/gen-model.py; do not edit.")
        w(" * Regenerate with `make gen` (python3 scripts/gen-model.py -o src/api/model_gen.c)")
        w(" * after a botocore upgrade, and commit the result.")
        w(" *")
        w(" * Input shapes of every operation of these AWS service models (botocore %s):"
          % sources["version"])
        for s in sources["models"]:
            w(" *   %s" % s)
        w(" * Only shapes reachable from an operation input are listed; shapes refer to")
        w(" * each other by index into ev__model_shapes. Enum values are in the order AWS")
        w(" * prints them in messages. Each pattern has the model text (printed in")
        w(" * messages) and a PCRE2 form (\\uXXXX -> \\x{XXXX}, Java '.' spelled out).")
        w(" */")
        w("#define EV__MODEL_INTERNAL")
        w("#include \"api/validate.h\"")
        w("")
        w("#include <stddef.h>")
        w("")
        w("const ev__pattern_t ev__model_patterns[] = {")
        for p in self.patterns:
            w("    {")
            for l in c_string_lines(p, "        ")[:-1]:
                w(l)
            w(c_string_lines(p, "        ")[-1] + ",")
            for l in c_string_lines(java_to_pcre2(p), "        ")[:-1]:
                w(l)
            w(c_string_lines(java_to_pcre2(p), "        ")[-1] + ",")
            w("    },")
        w("};")
        w("const size_t ev__model_n_patterns = sizeof(ev__model_patterns) / "
          "sizeof(ev__model_patterns[0]);")
        w("")
        for i, vals in enumerate(self.enums):
            w("static const char *const enum_%d[] = {" % i)
            line = "   "
            for v in vals:
                item = " %s," % c_string(v)
                if len(line) + len(item) > 99:
                    w(line)
                    line = "   "
                line += item
            w(line)
            w("};")
        w("")
        for i, sh in enumerate(self.shapes):
            if sh["type"] != "structure" or not sh["members"]:
                continue
            w("static const ev__member_t members_%d[] = { /* %s */" % (i, sh["name"]))
            for m in sh["members"]:
                line = "    {%s, %s, %d, %d}," % (c_string(m["name"]), c_string(m["path"]),
                                                m["shape"], 1 if m["required"] else 0)
                if len(line) > 100:
                    w("    {%s," % c_string(m["name"]))
                    w("     %s, %d, %d}," % (c_string(m["path"]), m["shape"],
                                             1 if m["required"] else 0))
                else:
                    w(line)
            w("};")
        w("")
        w("const struct ev_shape ev__model_shapes[] = {")
        for i, sh in enumerate(self.shapes):
            f = [".name = %s" % c_string(sh["name"]), ".type = %s" % TYPES[sh["type"]]]
            if sh["sensitive"]:
                f.append(".sensitive = 1")
            if "min" in sh:
                f.append(".has_min = 1, .min = %dLL" % sh["min"])
            if "max" in sh:
                f.append(".has_max = 1, .max = %dLL" % sh["max"])
            f.append(".pattern = %d" % sh.get("pattern", -1))
            if "enum" in sh:
                e = sh["enum"]
                f.append(".enums = enum_%d, .n_enums = %d" % (e, len(self.enums[e])))
            if sh["type"] == "structure" and sh["members"]:
                f.append(".members = members_%d, .n_members = %d" % (i, len(sh["members"])))
            if "elem" in sh:
                f.append(".elem = %d" % sh["elem"])
            if "key" in sh:
                f.append(".key = %d" % sh["key"])
            w("    /* %d %s */" % (i, sh["svc"]))
            line = "    {"
            for j, part in enumerate(f):
                part = part + ("," if j + 1 < len(f) else "},")
                if len(line) + 1 + len(part) > 100:
                    w(line)
                    line = "     " + part
                else:
                    line += ("" if line.endswith("{") else " ") + part
            w(line)
        w("};")
        w("const size_t ev__model_n_shapes = sizeof(ev__model_shapes) / "
          "sizeof(ev__model_shapes[0]);")
        w("")
        w("/* Sorted by (prefix, op) in strcmp order for bsearch. */")
        w("const ev__op_t ev__model_ops[] = {")
        for prefix, op, idx in sorted(self.ops, key=lambda o: (o[0].encode(), o[1].encode())):
            w("    {%s, %s, %d}," % (c_string(prefix), c_string(op), idx))
        w("};")
        w("const size_t ev__model_n_ops = sizeof(ev__model_ops) / sizeof(ev__model_ops[0]);")


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("-o", "--output", default="src/api/model_gen.c")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if the output file differs from what would be generated")
    args = ap.parse_args()

    data = botocore_data_dir()
    import botocore
    gen = Gen()
    models = []
    for svc, version, prefix in SERVICES:
        model = load_model(data, svc, version)
        gen.service(svc, model, prefix)
        models.append("%s/%s/service-2.json (targetPrefix %s)" % (svc, version, prefix))
    if len(gen.shapes) >= 0xffff or len(gen.patterns) >= 0x7fff:
        fail("too many shapes for 16-bit indices")
    for key in ENUM_PRINT_ORDER:
        if key not in gen.index:
            fail("enum override for %s/%s names an unreachable shape" % key)
    for key in UNCHECKED_ENUMS:
        if key not in gen.index:
            fail("unchecked enum %s/%s names an unreachable shape" % key)

    out = []
    gen.emit(out, {"version": botocore.__version__, "models": models})
    text = "\n".join(out) + "\n"
    if args.check:
        try:
            with open(args.output, encoding="ascii") as f:
                same = f.read() == text
        except OSError:
            same = False
        if not same:
            sys.stderr.write("gen-model.py: %s is out of date; run make gen\n" % args.output)
            sys.exit(1)
        return
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    os.replace(tmp, args.output)
    sys.stderr.write("gen-model.py: wrote %s (%d shapes, %d patterns, %d operations)\n"
                     % (args.output, len(gen.shapes), len(gen.patterns), len(gen.ops)))


if __name__ == "__main__":
    main()
