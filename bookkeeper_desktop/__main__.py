"""`python -m bookkeeper_desktop` starts the GUI (the command line is `bookkeeper`)."""

from __future__ import annotations

import importlib
import sys


def run() -> int:
    # Imported here, not at the top: Qt loads only when the GUI starts.
    app = importlib.import_module("bookkeeper_desktop.app")
    result = app.main()
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(run())
