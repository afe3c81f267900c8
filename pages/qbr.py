"""qbr (placeholder)."""

from kamdash import ui

f = ui.page("qbr")
