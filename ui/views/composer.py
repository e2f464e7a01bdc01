"""The face composer's session: this session's breeding engine (vae.analysis.composer.Composer, never
shared), the picks, the breed/undo/restart callbacks, decoded faces kept per session, the chosen
face with its exports and the breeding history. The page (pages/composer.py) lays them out."""

from __future__ import annotations

import functools
from collections.abc import Collection

import numpy as np
import streamlit as st

from ui.components import faces, widgets
from ui.shell import handoff, state
from ui.shell.i18n import number, t
from ui.shell.resources import Ready, density_of, model_key
from vae.analysis.composer import PRODUCT_SEARCH, Composer, mean_pairwise_distance
from vae.analysis.witness import typical_generations
from vae.artifacts.attributes import AttributeDirections
from vae.core.latent import decode
from vae.data.images import grid

POPULATION = (9, 16)


class ComposerSession:
    """One session's composer on one model; its methods are the page's widget callbacks."""

    def __init__(self, sel: Ready, dirs: AttributeDirections | None, decoder: faces.FaceDecoder):
        self.model, self.name, self.dirs = decoder.model, sel.name, dirs
        self.decoder = decoder
        self.latent_dim = sel.model.config.latent_dim

    def engine(self) -> Composer:
        """This session's composer (never shared), made anew for another model or population size."""
        kept = st.session_state.get("composer_engine")
        pop = int(st.session_state["co_pop"])
        if kept is None or kept["self.model"] != self.name or kept["composer"].population != pop:
            density = density_of(model_key(self.name))  # the first population and restarts look like the data
            composer = Composer(
                self.latent_dim,
                pop,
                int(st.session_state["co_seed"]),
                sampler=None if density is None else density.sample,
                source="prior" if density is None else "learned",
                search=PRODUCT_SEARCH,
            )
            kept = {"self.model": self.name, "composer": composer}
            st.session_state["composer_engine"] = kept
            self.set_picks(())
        return kept["composer"]

    def picks(self) -> list[int]:
        return [i for i in range(int(st.session_state["co_pop"])) if st.session_state.get(f"cmp_sel_{i}")]

    def set_picks(self, chosen: Collection[int]) -> None:
        for i in range(POPULATION[1]):
            st.session_state[f"cmp_sel_{i}"] = i in chosen

    def constraints(self) -> dict[str, float]:
        return {a: float(st.session_state.get(f"co_con_{a}", 0.0)) for a in st.session_state.get("co_con_attrs", [])} if self.dirs else {}

    def on_breed(self) -> None:
        chosen = self.picks()
        if not chosen:
            st.session_state["_co_message"] = "co.pick_first"
            return
        self.engine().breed(chosen, self.constraints() or None, self.dirs)
        self.set_picks(())

    def on_undo(self) -> None:
        comp = self.engine()
        if comp.generation > 0:
            chosen = comp.history[-1].parents
            comp.undo()
            self.set_picks(chosen)  # the picks that bred the generation just undone, to change them

    def on_restart(self) -> None:
        self.engine().restart(int(st.session_state["co_seed"]))
        self.set_picks(())

    def on_photo(self, code: np.ndarray) -> None:
        self.engine().restart(int(st.session_state["co_seed"]), start=code)
        self.set_picks(())

    def decoded(self, slot: str, codes: np.ndarray) -> np.ndarray:
        """Faces of codes (N, D), decoded in one batch and kept for this session until the codes change
        (ticking a face must not decode the grid again); uint8 (N, 64, 64, 3)."""
        token = (self.name, self.decoder.name, codes.shape, codes.tobytes())
        kept = st.session_state.get(f"_co_images_{slot}")
        if kept is None or kept[0] != token:
            kept = (token, decode(self.model, codes))
            st.session_state[f"_co_images_{slot}"] = kept
        return kept[1]

    def chosen_face(self, comp: Composer, images: np.ndarray, chosen: list[int]) -> None:
        """The current favourite: the first picked face, else face 1 (after a breed, the picks' mean)."""
        best = chosen[0] if chosen else 0
        code = comp.current[best]
        handoff.leave_composer_face(self.name, code)
        st.image(widgets.inline(widgets.enlarge(images[best], 192)), caption=t("co.chosen", i=best + 1), width="stretch")
        widgets.download(
            t("co.download_png"),
            functools.partial(faces.face_png, images[best]),
            f"{self.name}-composed-face.png",
            key="co_png",
            width="stretch",
        )
        widgets.download(
            t("co.download_record"),
            functools.partial(faces.session_record, self.name, self.decoder.name, comp.log(), images[best], comp.generation),
            f"{self.name}-composer-session.zip",
            key="co_record",
            icon=":material/folder_zip:",
            width="stretch",
        )
        widgets.download(
            t("co.download_json"),
            functools.partial(faces.code_json, self.name, code, session=comp.log()),
            f"{self.name}-composed-face.json",
            key="co_json",
            icon=":material/data_object:",
            width="stretch",
        )
        if st.button(t("co.to_editor"), key="co_to_editor", icon=":material/face_retouching_natural:", width="stretch"):
            st.session_state["fe_source"] = "composer"  # the editor opens on this face
            state.switch_page("pages/face_editor.py")
        if self.dirs is not None:
            logits = self.dirs.logits(code)
            top = [j for j in np.argsort(-logits)[:3] if logits[j] > 0]  # the classifiers' three most confident "yes"
            if top:
                st.caption(t("co.looks", items=", ".join(faces.attr_label(self.dirs.names[j]) for j in top)))

    def progress(self, comp: Composer) -> str:
        """How far the search has come: the spread of the faces on show against the first generation's,
        and the generation count a search typically needs (the witness benchmark's record)."""
        lines = [
            t(
                "co.spread",
                spread=number(mean_pairwise_distance(comp.current), ".2f"),
                first=number(mean_pairwise_distance(comp.history[0].codes), ".2f"),
            )
        ]
        typical = typical_generations(faces.witness_record(self.name), self.decoder.name)
        if typical:
            lines.append(t("co.typical", n=typical))
        return "  \n".join(lines)

    def history(self, comp: Composer) -> None:
        past = comp.picks()
        if not past:
            return
        with st.expander(t("co.history", n=len(past)), expanded=False):
            shown = list(enumerate(past))[-8:]  # the last eight breeds
            faces_by_breed = self.decoded("history", np.concatenate([p for _, p in shown]))  # one batch
            offset = 0
            for g, p in shown:
                row = faces_by_breed[offset : offset + len(p)]
                offset += len(p)
                c1, c2 = st.columns([1, 5], vertical_alignment="center")
                c1.caption(t("co.history_row", g=g + 1, k=len(p)))
                c2.image(widgets.inline(grid(row, len(row))), width=min(64 * len(row), 640))
