"""One module per page's logic and panels, for the pages that need more than a layout (pages/ stay thin).
May import `ui.components`, `ui.shell` and `vae`; never another view."""
