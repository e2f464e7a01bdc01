"""The Streamlit side: everything a page in pages/ calls (pages only read state, call ui/vae, lay out).

Where each concept lives:
- app.py         navigation, the shared sidebar, cold deep links (the ensure_entry() every page starts with)
- resources.py   models, atlases, test sets loaded once per process; ModelKey/ZooKey, the one cache-key scheme
- state.py       URL parameters: declared once where read (PARAMS); Streamlit's own binding (bound) for
                 number inputs, sliders and toggles, own code for the rest (its docstring says why)
- handoff.py     typed hand-offs between pages (the last latent code, a face for the composer)
- i18n.py        FR/EN catalogues (assets/i18n/{en,fr}/*.json)
- widgets.py     shared display pieces: enlarged/inline images, the one download button, the distance cue
- figures.py     the latent-map figure; zoo_figures.py the zoo's plots (rate–distortion, histories, KL per dim)
- map_view.py, sliders.py, interpolation.py, face_editor.py, composer.py, faces.py, input_widgets.py:
                 each page's logic and panels, one module per page that needs more than a layout
- live.py        live decoding in the browser (slider drags, map hover, the scrubber): the v2 component
                 (assets/live/live_decoder.js) over the server's pictures, ONNX from vae/export.py
- reconnect.py   a tab that reconnects to a server which never saw its session reloads itself
                 (assets/reconnect/resume_session.js): a replica's death behind nginx
- lesson/        the course, one module per step (lesson/__init__.py lists them)
- serve.py, warm.py   the launcher and the warm-up that loads the zoo before the first visitor
"""
