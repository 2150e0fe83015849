"""``make bench`` (``python -m tests.bench``): run every ``tests/bench_*.py`` module's ``main()``.

Each benchmark prints medians and ratios against a floor measured in the same run; none asserts a time.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def main() -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                         if m.name.startswith("bench_")):
        importlib.import_module(f"tests.{module}").main()


if __name__ == "__main__":
    main()
