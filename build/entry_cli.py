"""PyInstaller entry point of the `bookkeeper` command."""

import sys

from bookkeeper_desktop.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
