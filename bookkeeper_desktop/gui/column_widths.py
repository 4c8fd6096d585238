"""Columns sized to their widest text from font metrics, to the pixel that the view's own
`resizeColumnToContents` gives, without the view measuring every cell through the model.

Why not let Qt measure: `resizeColumnToContents` asks the model's `data()` for about ten roles
of every cell (up to 1,000 rows a column). From Python each of those calls costs a few µs, and
Qt lets go of the GIL around the measuring, so each call also waits for the GIL whenever a
worker thread is running Python, as the panes' re-reads do right after a sync: fitting the
45-account mapping table took 12–20 ms at load 1–2, 35–57 ms after a sync, and 0.1–1 s
beside a thread busy in Python (benchmarks/RESULTS.md, "GUI stall after a sync"). Here a
text's width is measured once (a few µs, without letting go of the GIL) and remembered.

What matches Qt's delegate (`QStyledItemDelegate` under `QCommonStyle`, Fusion included): the
text's width on one line (`QFontMetricsF`, rounded up as the text layout does) plus the focus
frame's margin on each side, plus the grid line of a table view, and never narrower than the
header's own size hint.

Which rows: Qt reads the rows on screen, then the rows around them, `resizeContentsPrecision()`
rows in all (1,000 by default; every row when it is negative; only those on screen at 0) —
`QTableView::sizeHintForColumn`. For a table scrolled to its top that is its first 1,000 rows
in the table's order, shown or not. The fitter reads the first `resizeContentsPrecision()`
texts it is given (all of them when it is 0 or less: which rows are on screen is not known
from texts), plain ones before bold ones: the same rows as Qt when the caller gives the texts
in the table's order (the panes do) and the table is at its top. Scrolled down a table of
more rows than that, Qt would measure the rows around the visible ones instead; the fitter
still measures the first ones, as a table fitted when its rows arrive (at the top) has them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from itertools import chain, islice

from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QHeaderView, QStyle, QTableView, QTreeView

#: Widths remembered per view before the memory starts afresh (texts that come and go, like
#: the sync log's times, would otherwise pile up).
_REMEMBERED = 20_000


class ColumnFitter:
    """Sizes a table's or tree's columns to texts the caller already has (its model's cell
    texts), as `resizeColumnToContents` would from the cells.

    `slack` is added to every width (a tree's italic parent rows lean past their advance)."""

    def __init__(self, view: QTableView | QTreeView, *, slack: int = 0) -> None:
        self.view = view
        self.slack = slack
        self._font_key = ""
        #: Width of each (bold, text) measured, in pixels.
        self._widths: dict[tuple[bool, str], int] = {}
        self._plain_and_bold: tuple[QFontMetricsF, QFontMetricsF] | None = None

    @property
    def header(self) -> QHeaderView:
        view = self.view
        return view.horizontalHeader() if isinstance(view, QTableView) else view.header()

    def width_for(self, texts: Iterable[str], bold: Iterable[str] = ()) -> int:
        """What `resizeColumnToContents` would ask for `texts` (and `bold`, shown in the view's
        font made bold), in the table's order, at its top (the module docstring says which
        rows count), before the header's own size hint is taken into account; 0 for none."""
        metrics = self._metrics()
        widths = self._widths
        cells = chain(((False, text) for text in texts), ((True, text) for text in bold))
        limit = self.header.resizeContentsPrecision()
        widest = 0
        for cell in cells if limit <= 0 else islice(cells, limit):
            width = widths.get(cell)
            if width is None:
                if len(widths) >= _REMEMBERED:
                    widths.clear()
                is_bold, text = cell
                width = widths[cell] = math.ceil(metrics[is_bold].horizontalAdvance(text))
            widest = max(widest, width)
        if not widest:
            return 0
        view = self.view
        style = view.style()
        margin = 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1)
        grid = 1 if isinstance(view, QTableView) and view.showGrid() else 0
        return widest + margin + grid + self.slack

    def fit(self, column: int, texts: Iterable[str], *, bold: Iterable[str] = ()) -> None:
        """Size `column` to the widest of `texts` and `bold`, never under the header's size
        hint (`QHeaderView.resizeSection`, as `resizeColumnToContents` does)."""
        header = self.header
        header.resizeSection(column, max(self.width_for(texts, bold),
                                         header.sectionSizeHint(column)))

    def _metrics(self) -> tuple[QFontMetricsF, QFontMetricsF]:
        """The view's font's metrics, plain and bold; the widths remembered are forgotten
        when the font changed."""
        font = self.view.font()
        if font.key() != self._font_key or self._plain_and_bold is None:
            self._font_key = font.key()
            self._widths.clear()
            heavy = QFont(font)
            heavy.setBold(True)
            self._plain_and_bold = (QFontMetricsF(font), QFontMetricsF(heavy))
        return self._plain_and_bold
