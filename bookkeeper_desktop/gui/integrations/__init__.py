"""The Integrations pane: QBO and Xero cards, account-mapping editor, sync log."""

from bookkeeper_desktop.gui.integrations.card import ProviderCard
from bookkeeper_desktop.gui.integrations.pane import IntegrationsPane
from bookkeeper_desktop.gui.integrations.state import CardState, Phase

__all__ = ["CardState", "IntegrationsPane", "Phase", "ProviderCard"]
