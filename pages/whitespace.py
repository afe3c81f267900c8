"""whitespace (placeholder)."""

from kamdash import ui

f = ui.page("whitespace")
