"""Figures (Plotly), the deck (PPTX), exports (CSV/XLSX), hidden-name aliases."""
