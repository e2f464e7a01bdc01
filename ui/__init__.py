"""The Streamlit side: what a page in pages/ calls. Layers, each a folder whose docstring says what it may import:
shell (models loaded once, URL state, hand-offs, i18n) ← components (widgets, figures, the live decoder) ←
views (one per page) | lesson (the course and its slides) | serve (launcher, warm-up). ui.app is the app's entry."""
