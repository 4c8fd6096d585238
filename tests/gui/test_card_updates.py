"""The provider card shown again and again (a sync's progress comes up to 10 times a second):
the status dot's colour follows the phase, and the organisation the user picked stays picked
while the same choice is shown again (the card sets the dot's style and the list of
organisations only when they change)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.progress import ProgressSnapshot
from bookkeeper_desktop.gui.integrations.card import ProviderCard
from bookkeeper_desktop.gui.integrations.state import CardState, Tenant
from bookkeeper_desktop.providers.config import Provider


def make_card(qtbot: QtBot, state: CardState) -> ProviderCard:
    card = ProviderCard(state)
    qtbot.addWidget(card)
    card.show()
    return card


def test_the_dot_follows_the_phase_through_many_progress_updates(qtbot: QtBot) -> None:
    card = make_card(qtbot, CardState.not_connected(Provider.QBO))
    assert "#9E9E9E" in card.badge.styleSheet()
    syncing = CardState.not_connected(Provider.QBO).syncing()
    for done in range(0, 3000, 300):
        card.set_state(syncing.syncing(ProgressSnapshot("Reading transactions", done, 3000)))
        assert card.progress_bar.value() == done
    syncing_style = card.badge.styleSheet()
    card.set_state(syncing.after_error(RuntimeError("boom")))
    assert "#C0392B" in card.badge.styleSheet()
    assert card.badge.styleSheet() != syncing_style
    card.set_state(CardState.not_connected(Provider.QBO))
    assert "#9E9E9E" in card.badge.styleSheet()
    assert card.badge_colour == "#9E9E9E"


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
