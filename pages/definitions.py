"""definitions (placeholder)."""

from kamdash import ui

f = ui.page("definitions")
