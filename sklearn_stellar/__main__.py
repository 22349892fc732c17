"""``python -m sklearn_stellar`` runs the ``sklearn-stellar`` command."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
