"""Shared by the issue-16 audit scripts: the binding from this checkout, a pass/fail tally."""
import os
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bindings" / "python"))
os.environ.setdefault("SWIFTKERAS_LIBRARY", str(ROOT / ".build" / "release" / "libkeras.so"))

failures = []


def check(what, fn):
    """Runs `fn`; a falsy result or an exception is a failure, reported with `what`."""
    try:
        ok = fn()
    except Exception as e:  # noqa: BLE001 — an audit reports every failure and goes on
        ok = False
        print(f"FAIL {what}: {type(e).__name__}: {e}")
        traceback.print_exc(limit=2, file=sys.stdout)
        failures.append(what)
        return
    print(f"{'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def done():
    print(f"{len(failures)} failure(s)" + (": " + "; ".join(failures) if failures else ""))
    sys.exit(1 if failures else 0)
