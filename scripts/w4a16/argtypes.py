"""argparse value types shared by the subcommands."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """A type= function accepting only numbers above zero, with a one-line error otherwise."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
        return value

    parse.__name__ = f"positive {kind.__name__}"
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
