"""Serving: the launcher (`vae-explorer serve`), the warm-up that loads the zoo before the first visitor,
and the reconnecting tab that survives a replica's death. May import `ui.shell` and `vae`."""
