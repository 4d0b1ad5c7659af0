"""argparse value types shared by the subcommands."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path


def positive(kind: type[int] | type[float], *, zero_ok: bool = False
             ) -> Callable[[str], int | float]:
    """A type= function accepting only finite numbers above zero (or zero too, with
    zero_ok), with a one-line error otherwise."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
        if value < 0 or (value == 0 and not zero_ok):
            need = "zero or more" if zero_ok else "positive"
            raise argparse.ArgumentTypeError(f"must be {need}: {text!r}")
        return value

    parse.__name__ = f"{'non-negative' if zero_ok else 'positive'} {kind.__name__}"
    return parse


def positive_ints(text: str) -> list[int]:
    """A type= function for comma-separated positive integers (`1,16,64`)."""
    parse = positive(int)
    values = [int(parse(part.strip())) for part in text.split(",") if part.strip()]
    if not values:
        raise argparse.ArgumentTypeError(f"no numbers in {text!r}")
    return values


def add_out_option(parser: argparse.ArgumentParser, stem: str) -> None:
    """`--out DIR` for the analysis tools that print a table unless told where to write."""
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"folder for {stem}.json and {stem}.md (default: print the table)",
    )
