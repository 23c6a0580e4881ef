#!/usr/bin/python3
"""Adds up meson's unit-test logs and pytest's JUnit files into the one
closing line of `make check`: "N passed, N failed[, N skipped]".
Exit 1 when anything failed or nothing ran."""
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def meson_counts(build):
    passed = failed = skipped = 0
    log = Path(build) / "meson-logs" / "testlog.json"
    if not log.exists():
        return 0, 1, 0  # the suite did not even run
    for line in log.read_text().splitlines():
        if not line.strip():
            continue
        result = json.loads(line).get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
    return passed, failed, skipped


def junit_counts(path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return 0, 1, 0
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            failed += 1
        elif "skipped" in tags:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(args):
    totals = [0, 0, 0]
    for arg in args:
        counts = junit_counts(arg) if arg.endswith(".xml") else meson_counts(arg)
        print(f"  {arg}: {counts[0]} passed, {counts[1]} failed, "
              f"{counts[2]} skipped")
        totals = [t + c for t, c in zip(totals, counts)]
    line = f"{totals[0]} passed, {totals[1]} failed"
    if totals[2]:
        line += f", {totals[2]} skipped"
    print(line)
    return 0 if totals[1] == 0 and totals[0] > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
