"""The provider card shown again and again (a sync's progress comes up to 10 times a second):
the status dot's style sheet is set only when its colour changes (each setting is parsed and
re-polishes the dot: counted here by the `StyleChange` events it sends the dot), the colour
follows the phase, and the organisation the user picked stays picked while the same choice is
shown again (the list of organisations is replaced only when it changes)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from pytestqt.qtbot import QtBot
from typing_extensions import override

from bookkeeper_desktop.core.progress import ProgressSnapshot
from bookkeeper_desktop.gui.integrations.card import ProviderCard
from bookkeeper_desktop.gui.integrations.state import CardState, Tenant
from bookkeeper_desktop.providers.config import Provider


def make_card(qtbot: QtBot, state: CardState) -> ProviderCard:
    card = ProviderCard(state)
    qtbot.addWidget(card)
    card.show()
    return card


class StyleChanges(QObject):
    """Counts the `StyleChange` events a widget receives: `setStyleSheet` sends one each time,
    even with the same text."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.StyleChange:
            self.count += 1
        return False


def test_setting_a_style_sheet_is_what_the_count_sees(qtbot: QtBot) -> None:
    """The counter itself: the same style sheet set again is counted again."""
    card = make_card(qtbot, CardState.not_connected(Provider.QBO))
    changes = StyleChanges()
    card.badge.installEventFilter(changes)
    card.badge.setStyleSheet(card.badge.styleSheet())
    card.badge.setStyleSheet(card.badge.styleSheet())
    assert changes.count == 2


def test_the_dot_is_restyled_only_when_its_colour_changes(qtbot: QtBot) -> None:
    card = make_card(qtbot, CardState.not_connected(Provider.QBO))
    assert card.badge_colour == "#9E9E9E"
    assert "#9E9E9E" in card.badge.styleSheet()
    changes = StyleChanges()
    card.badge.installEventFilter(changes)

    card.set_state(CardState.not_connected(Provider.QBO))  # the same state again
    assert changes.count == 0

    syncing = CardState.not_connected(Provider.QBO).syncing()
    for done in range(0, 3000, 300):  # ten progress updates: one new colour
        card.set_state(syncing.syncing(ProgressSnapshot("Reading transactions", done, 3000)))
        assert card.progress_bar.value() == done
    assert changes.count == 1
    syncing_style = card.badge.styleSheet()
    assert "#9E9E9E" not in syncing_style

    card.set_state(syncing.after_error(RuntimeError("boom")))
    assert changes.count == 2
    assert "#C0392B" in card.badge.styleSheet()
    card.set_state(syncing.after_error(RuntimeError("boom again")))  # the same colour
    assert changes.count == 2

    card.set_state(CardState.not_connected(Provider.QBO))
    assert changes.count == 3
    assert "#9E9E9E" in card.badge.styleSheet()


def test_the_organisation_picked_stays_picked_when_the_same_choice_is_shown_again(
        qtbot: QtBot) -> None:
    tenants = [Tenant("t-1", "Demo Company (AU)"), Tenant("t-2", "Kowhai Landscaping Ltd")]
    choose = CardState.choose_tenant(Provider.XERO, tenants)
    card = make_card(qtbot, choose)
    card.tenant_combo.setCurrentIndex(1)
    card.set_state(choose)
    assert card.tenant_combo.currentData() == "t-2"
    # Another consent brings other organisations: the list is replaced.
    other = CardState.choose_tenant(Provider.XERO, [Tenant("t-3", "Rimu Ltd")])
    card.set_state(other)
    assert [card.tenant_combo.itemText(i) for i in range(card.tenant_combo.count())] == [
        "Rimu Ltd"]
