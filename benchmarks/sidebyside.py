"""One table for benchmarks that measure this tree beside other trees in one run."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence


def print_table(title: str, results: Sequence[dict[str, float]], trees: Sequence[Path], width: int = 26) -> None:
    """``results[i]`` (case -> figure) measured on ``trees[i]``; the first is this tree. With a second
    tree, the last column is its figure over this tree's."""
    names = ["this tree"] + [f"tree {i}" for i in range(1, len(trees))]
    print(title)
    print(f"{'case':<{width}}" + "".join(f"{n:>12}" for n in names) + ("" if len(trees) == 1 else f"{'ratio':>10}"))
    for case in results[0]:
        vals = [r[case] for r in results]
        ratio = f"{vals[1] / vals[0]:>9.2f}x" if len(vals) > 1 else ""
        print(f"{case:<{width}}" + "".join(f"{v:>12.1f}" for v in vals) + ratio)
    for i, tree in enumerate(trees[1:], 1):
        print(f"tree {i}: {tree}")
