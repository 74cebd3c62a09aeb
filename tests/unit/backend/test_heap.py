"""The app's garbage-collector settings (backend/heap.py), checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import gc, weakref
from backend.heap import GC_THRESHOLDS, settle_heap

class Node:
    pass

alive = [Node() for _ in range(1000)]
settle_heap()
print(gc.get_freeze_count() >= 1000, gc.get_threshold() == GC_THRESHOLDS)

# a reference cycle made after start-up is still freed by the automatic collector
a, b = Node(), Node()
a.other, b.other = b, a
gone = weakref.ref(a)
del a, b
for _ in range(GC_THRESHOLDS[0]):
    x, y = Node(), Node()
    x.other, y.other = y, x  # more garbage cycles: net allocations that trigger young collections
print(gone() is None)
"""


def test_start_up_objects_are_frozen_and_later_cycles_are_still_collected() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "True"]
