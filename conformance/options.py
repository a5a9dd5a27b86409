"""The levels and the options of `exsim conformance`, in a module that imports nothing else of the project, so that
simulator/cli.py can declare the verb without loading the suite (it loads it only when the verb runs)."""
from __future__ import annotations

import argparse

LEVELS = ("core", "robust", "perpetual")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--adapter", default="reference",
                        help="reference | ccxt | package.module:factory (default: reference)")
    parser.add_argument("--level", action="append", choices=LEVELS, help="run only this level (repeatable)")
    parser.add_argument("--check", action="append", metavar="ID", help="run only this check (repeatable)")
    parser.add_argument("--report", metavar="DIR", help="write report.json, junit.xml and report.md there")
    parser.add_argument("--jobs", type=int, default=4,
                        help="checks run at once, each on its own server (default 4)")
