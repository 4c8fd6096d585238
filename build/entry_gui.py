"""PyInstaller entry point of the `bookkeeper-desktop` window."""

import sys

from bookkeeper_desktop.app import main

if __name__ == "__main__":
    sys.exit(main())
