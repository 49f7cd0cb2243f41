"""`make bench`: every benchmark in this folder, one after the other, each printing its own figures.

Figures and how to read them are in BENCHMARKS.md; each benchmark also runs alone with its own command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Benchmarks whose full form is too long for `make bench` run their quick form here: bench_scale.py
# would load a million claims, bench_url_import.py would check 10,000 URLs, bench_load.py would load
# the server for 60 s instead of 15, bench_matching.py would sweep the fusion weight in full,
# bench_matches_app.py would load 100,000 claims (its quick form: 10,000). Their full runs
# have their own commands in BENCHMARKS.md.
QUICK_FORM = {
    "bench_load.py",
    "bench_matches_app.py",
    "bench_matching.py",
    "bench_scale.py",
    "bench_url_import.py",
}


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} ===", flush=True)
        args = ["--quick"] if script.name in QUICK_FORM else []
        result = subprocess.run(
            [sys.executable, str(script), *args], cwd=HERE.parent, env=os.environ | {"DEBUG": "true"}
        )
        if result.returncode:
            failed.append(script.name)
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
