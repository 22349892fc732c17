"""Entry point of the ``sklearn-stellar`` command and its sub-commands."""

from __future__ import annotations

import argparse
import logging
import sys

from . import _demo, _evaluate, _predict, _train

logger = logging.getLogger("sklearn_stellar")


def build_parser():
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="sklearn-stellar",
        description="Find binary and classical Be stars in LAMOST spectra.",
    )
    parser.add_argument(
        "--version", action="version", version=f"sklearn-stellar {__version__}"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log progress to stderr"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (_train, _predict, _evaluate, _demo):
        module.add_parser(commands)
    return parser


def main(argv=None):
    """Run the command line; returns the process exit status.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name (``["predict", "model.zip",
        "spectra/", "-o", "catalog.fits"]``); None reads ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 after a user-facing error (a missing file, a bad
        value), which is printed to stderr in one line without a traceback.

    Examples
    --------
    >>> from sklearn_stellar.cli import main
    >>> main(["predict", "missing.model", "spectra/", "-o", "catalog.fits"])
    2
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # recorded in model files' provenance
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except (OSError, ValueError) as exc:
        # A user-facing error: one clear line, no traceback.
        print(f"sklearn-stellar {args.command}: error: {exc}", file=sys.stderr)
        return 2
