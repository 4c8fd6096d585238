"""The Export pane: format, filters, a preview of the first rows as written, problems listed before
saving, Save As with progress and Cancel, and the export history with "Show in folder"."""

from bookkeeper_desktop.gui.export.pane import ExportPane

__all__ = ["ExportPane"]
