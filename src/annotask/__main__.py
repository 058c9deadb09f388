"""``python -m annotask``: the command line."""

from annotask.cli import main

if __name__ == "__main__":
    main()
