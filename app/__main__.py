"""`python -m app` is the `layerwise` command."""

from app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
