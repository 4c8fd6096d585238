"""Pictures of the Ledger and Export panes and their dialogs on the sample company, saved with
`QWidget.grab()` into a temporary folder (or `$BOOKKEEPER_SCREENSHOT_DIR` when set, to look at
them). Each must be a real picture: the right size and not one flat colour (a pane that paints
nothing, or paints only its background, fails).

Files: ledger-pane.png, ledger-entry-editor.png, ledger-import-preview.png,
ledger-trial-balance.png, ledger-account-dialog.png, export-pane.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.export import ExportPane
from bookkeeper_desktop.gui.ledger import LedgerPane
from bookkeeper_desktop.gui.ledger.lines_model import CREDIT, DEBIT

pytest_plugins = ["tests.gui.test_ledger_support"]
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

CHART = (
    "Account Number,Account Name,Type,Detail Type\n"
    "1010,Savings Reserve,Bank,Savings\n"
    "6500,Marketing,Expenses,Advertising/Promotional\n"
    "6510,Marketing:Online Ads,Expenses,Advertising/Promotional\n"
    "7000,Mystery,Expences,Other\n"
)


def save(widget: QWidget, folder: Path, name: str) -> QImage:
    image = widget.grab().toImage()
    assert image.save(str(folder / name))
    return image


def distinct_colours(image: QImage) -> int:
    step_x, step_y = max(1, image.width() // 60), max(1, image.height() // 60)
    return len({image.pixel(x, y) for x in range(0, image.width(), step_x)
                for y in range(0, image.height(), step_y)})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    wanted = os.environ.get("BOOKKEEPER_SCREENSHOT_DIR")
    target = Path(wanted) if wanted else tmp_path / "shots"
    target.mkdir(parents=True, exist_ok=True)
    return target


def test_pictures_of_the_ledger_and_export_panes(
    qtbot: QtBot, ctx: AppContext, folder: Path, tmp_path: Path,
) -> None:
    pane = LedgerPane(ctx)
    qtbot.addWidget(pane)
    pane.resize(1280, 760)
    pane.show()
    qtbot.waitUntil(lambda: pane.tree_model.rowCount() > 0
                    and pane.entry_model.loaded_row(0) is not None, timeout=10000)
    # The entry count is set with the rows; its label is laid out again a turn later (grabbed
    # before that, it showed "2" of "240 entries").
    label = pane.count_label
    qtbot.waitUntil(lambda: label.text() == "240 entries"
                    and label.width() >= label.sizeHint().width(), timeout=5000)
    image = save(pane, folder, "ledger-pane.png")
    assert (image.width(), image.height()) == (1280, 760)
    assert distinct_colours(image) > 12

    with qtbot.waitSignal(pane.entry_dialog_opened, timeout=5000) as opened:
        pane.new_entry_action.trigger()
    editor = opened.args[0]
    lines = editor.lines_model
    lines.setData(lines.index(0, 0), "1000")
    lines.setData(lines.index(0, DEBIT), "250.00")
    lines.setData(lines.index(1, 0), "4010")
    lines.setData(lines.index(1, CREDIT), "237.66")
    assert distinct_colours(save(editor, folder, "ledger-entry-editor.png")) > 8
    editor.reject()

    path = tmp_path / "chart.csv"
    path.write_text(CHART, encoding="utf-8")
    with qtbot.waitSignal(pane.import_preview_ready, timeout=10000) as ready:
        pane.open_import_dialog(path)
    preview = ready.args[0]
    preview.tabs.setCurrentIndex(0)
    assert distinct_colours(save(preview, folder, "ledger-import-preview.png")) > 8
    preview.reject()

    pane.trial_balance_action.trigger()
    balance = pane.trial_balance_dialog
    assert balance is not None
    qtbot.waitUntil(lambda: balance.model.rowCount() > 1, timeout=10000)
    assert distinct_colours(save(balance, folder, "ledger-trial-balance.png")) > 8
    balance.reject()

    pane.tree.setCurrentIndex(pane.tree_model.index(0, 0))
    pane.add_account_action.trigger()
    account_dialog = pane.account_dialog
    assert account_dialog is not None
    account_dialog.name_edit.setText("Office Plants")
    account_dialog.code_edit.setText("1000")  # taken: the reason shows in red
    assert distinct_colours(save(account_dialog, folder, "ledger-account-dialog.png")) > 4
    account_dialog.reject()

    export = ExportPane(ctx)
    qtbot.addWidget(export)
    export.resize(1280, 760)
    export.show()
    qtbot.waitUntil(lambda: export.preview is not None, timeout=10000)
    assert distinct_colours(save(export, folder, "export-pane.png")) > 12
