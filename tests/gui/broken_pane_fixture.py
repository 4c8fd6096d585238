"""A pane module whose own import is broken (used by test_main_window): must raise, not hide."""

from bookkeeper_desktop.gui.this_module_does_not_exist import BrokenPane  # type: ignore[import-not-found]

__all__ = ["BrokenPane"]
