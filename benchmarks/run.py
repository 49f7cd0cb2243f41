"""`make bench`: every benchmark in this folder, one after the other, each printing its own figures.

Figures and how to read them are in BENCHMARKS.md; each benchmark also runs alone with its own command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} ===", flush=True)
        result = subprocess.run(
            [sys.executable, str(script)], cwd=HERE.parent, env=os.environ | {"DEBUG": "true"}
        )
        if result.returncode:
            failed.append(script.name)
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
