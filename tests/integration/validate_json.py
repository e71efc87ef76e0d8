#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Validate a JSON file against a JSON Schema, with format checking.

usage: validate_json.py [--lines] SCHEMA FILE

Prints one line per error ("FILE: /json/pointer: message") and exits 1 if
FILE is not valid JSON or does not match SCHEMA, 2 on bad usage, 0 if it
matches. With --lines, FILE is JSON Lines: every line must match SCHEMA
(errors say "FILE:LINE: ..."). The schema's "$schema" picks the draft
(2020-12 or 7). A "$ref" to another schema file ("report.schema.json#/$defs/x")
is resolved beside SCHEMA, by copying that file's $defs in (so it works with
every jsonschema version, which resolve files differently).
"""
import datetime
import json
import os
import re
import sys

import jsonschema
from jsonschema import validators

# RFC 3339 section 5.6 date-time; jsonschema only checks "date-time" when an
# optional module is installed, so it is checked here in every case.
RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
    r"([Zz]|[+-](\d{2}):(\d{2}))$", re.ASCII)


def is_rfc3339(value):
    if not isinstance(value, str):
        return True
    m = RFC3339.match(value)
    if not m:
        return False
    year, month, day, hour, minute, sec = (int(g) for g in m.groups()[:6])
    if m.group(9) is not None and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return False
    try:
        # a leap second (60) is valid where the clock allows it; accept it
        datetime.datetime(year, month, day, hour, minute, min(sec, 59))
    except ValueError:
        return False
    return sec <= 60


def format_checker(cls):
    checker = getattr(cls, "FORMAT_CHECKER", None) or jsonschema.FormatChecker()
    checker.checks("date-time")(is_rfc3339)
    return checker


def pointer(path):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def one_line(text):
    return " ".join(str(text).split())


def describe(error):
    msg = error.message
    if error.context:
        # oneOf/anyOf: say why each alternative failed
        by_option = {}
        for sub in error.context:
            by_option.setdefault(sub.schema_path[0], []).append(sub)
        msg += " (" + "; ".join(
            f"option {n}: " + ", ".join(f"{pointer(sub.absolute_path)}: {sub.message}"
                                        for sub in subs)
            for n, subs in sorted(by_option.items())) + ")"
    return one_line(msg)


def load(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: cannot read {what}: {one_line(e)}")
        sys.exit(1)


def external_refs(node, out):
    """Rewrite every "$ref": "FILE#/$defs/x" under node to "#/$defs/x"; collect the FILEs."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#") and "#" in ref:
            name, frag = ref.split("#", 1)
            out.add(name)
            node["$ref"] = "#" + frag
        for v in node.values():
            external_refs(v, out)
    elif isinstance(node, list):
        for v in node:
            external_refs(v, out)


def bundle(schema, schema_path):
    """schema with the $defs of the schema files it refers to copied in."""
    files = set()
    external_refs(schema, files)
    defs = schema.setdefault("$defs", {})
    for name in sorted(files):
        other = load(os.path.join(os.path.dirname(schema_path), name), "schema")
        for key, value in other.get("$defs", {}).items():
            if key in defs and defs[key] != value:
                print(f"{schema_path}: $defs/{key} is also defined differently in {name}")
                sys.exit(1)
            defs[key] = value
    return schema


def instances(path, lines):
    """[(where, instance)]: the file's one JSON value, or each line's with lines."""
    if not lines:
        return [(path, load(path, "JSON"))]
    out = []
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            try:
                out.append((f"{path}:{n}", json.loads(text)))
            except ValueError as e:
                print(f"{path}:{n}: not JSON: {one_line(e)}")
                sys.exit(1)
    return out


def main(argv):
    lines = len(argv) > 1 and argv[1] == "--lines"
    if lines:
        argv = argv[:1] + argv[2:]
    if len(argv) != 3:
        print("usage: validate_json.py [--lines] SCHEMA FILE", file=sys.stderr)
        return 2
    schema = bundle(load(argv[1], "schema"), argv[1])
    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        print(f"{argv[1]}: invalid schema: {one_line(e.message)}")
        return 1
    validator = cls(schema, format_checker=format_checker(cls))
    bad = False
    for where, instance in instances(argv[2], lines):
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
        for e in errors:
            print(f"{where}: {pointer(e.absolute_path)}: {describe(e)}")
        bad = bad or bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
