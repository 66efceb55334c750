#!/usr/bin/python3
"""Sets keys in an OpenStack ini file: `ini.py FILE < lines`, one `section key = value` a line.

The packaged file's other settings are kept; comments are dropped (configparser). Values are
written as given (no interpolation), so passwords with % or $ stay intact.
"""
import configparser
import sys

path = sys.argv[1]
cp = configparser.RawConfigParser(strict=False, delimiters=("=",))
cp.optionxform = str  # keep key case
cp.read(path)
for n, line in enumerate(sys.stdin, 1):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    head, sep, value = line.partition("=")
    parts = head.split()
    if not sep or len(parts) != 2:
        sys.exit(f"ini.py: {path}: line {n} is not 'section key = value': {line!r}")
    section, key = parts
    if section != "DEFAULT" and not cp.has_section(section):
        cp.add_section(section)
    cp.set(section, key, value.strip())
with open(path, "w") as f:
    cp.write(f)
