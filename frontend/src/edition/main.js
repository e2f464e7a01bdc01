// @ts-check
// The student edition's entry (esbuild bundles it into static/edition/edition.mjs; ui/serve/share.py
// copies it into an export's assets/): one model's explorer that runs with no server. It reads the
// scene, builds the page, opens the nets and wires the map, the sliders, the scrubber and the drawing.
// With window.__vaeTelemetry = true set before it loads, the dashboard's probe window.__vaeLive
// (runtime.js) is kept, with firstPictureMs and status "ready", and window.__vaeEdition.

import { floats, LIVE, TELEMETRY, useWorker } from "../runtime.js";
import { openNet } from "./decoder.js";
import { drawing } from "./draw.js";
import { latentSliders } from "./latent.js";
import { mapView } from "./mapview.js";
import { applyTexts, buildPage, showTab } from "./page.js";
import { scrubber } from "./path.js";
import { placeCode } from "./placement.js";
import { loadScene } from "./scene.js";
import { firstLanguage, otherLanguage, say } from "./texts.js";

/** @typedef {import("./mapview.js").Pin} Pin */

async function start() {
  const scene = await loadScene(document);
  const root = /** @type {HTMLElement} */ (document.getElementById("edition") ?? document.body.appendChild(document.createElement("main")));
  buildPage(root, scene);
  let lang = firstLanguage(location.search, scene.lang);
  /** @param {string} name */
  const panel = (name) => /** @type {HTMLElement} */ (root.querySelector(`[data-panel="${name}"]`));

  const decoder = openNet(scene.runtime, scene.decoder);
  const sliders = latentSliders(
    panel("sliders"),
    scene,
    decoder,
    () => map.pins().at(-1)?.code ?? null,
    () => lang,
  );
  const path = scrubber(panel("path"), scene, decoder);
  const onPins = (/** @type {Pin[]} */ pins) => {
    sliders.pinsChanged(pins.length > 0);
    path.pinsChanged(pins.map((p) => p.code));
  };
  const map = mapView(/** @type {HTMLElement} */ (root.querySelector(".ed-map-host")), { ...scene, lang }, onPins, decoder);
  decoder.then(
    () => {
      LIVE.status = "ready";
      LIVE.model = scene.model;
    },
    (e) => {
      LIVE.error = String(e);
    },
  );

  const mapArrays = () => Promise.all([floats(scene.map.coords), floats(scene.map.codes)]);
  if (scene.encoder && scene.inputs) {
    const url = scene.encoder;
    /** @type {Promise<import("./decoder.js").Run> | null} */
    let opened = null;
    const encoder = () => {
      opened ??= openNet(scene.runtime, url);
      return opened;
    };
    /** @type {HTMLElement} */ (root.querySelector('[data-tab="draw"]')).addEventListener("click", () => {
      encoder().catch((e) => {
        LIVE.error = String(e);
      });
    });
    const landed = /** @type {HTMLElement} */ (root.querySelector(".ed-landed"));
    drawing(panel("draw"), scene.inputs, encoder, async (mu) => {
      const needs = scene.map.projection === "tsne" || scene.map.projection === "umap";
      const [coords, codes] = needs ? await mapArrays() : [null, null];
      const xy = placeCode(scene.map, coords, codes, mu, scene.place_k);
      map.setStar(xy, say(scene.texts, lang, "edition.your_digit"));
      landed.dataset.t = "edition.landed";
      landed.textContent = say(scene.texts, lang, "edition.landed", { x: xy[0], y: xy[1] });
      if (TELEMETRY) Object.assign(LIVE.lastDraw ?? {}, { xy, projection: scene.map.projection });
    });
  }

  applyTexts(root, scene, lang); // once every panel is built (the sliders' labels too)
  const faces = /** @type {HTMLButtonElement | null} */ (root.querySelector(".ed-faces"));
  if (faces)
    faces.onclick = () => {
      const on = faces.getAttribute("aria-pressed") !== "true";
      faces.setAttribute("aria-pressed", String(on));
      map.setFaces(on);
    };
  /** @type {HTMLButtonElement} */ (root.querySelector(".ed-lang")).onclick = () => {
    lang = otherLanguage(lang);
    applyTexts(root, scene, lang);
    sliders.languageChanged();
    const star = map.star();
    if (star) map.setStar(star.xy, say(scene.texts, lang, "edition.your_digit"));
    map.setLanguage(lang);
  };
  if (TELEMETRY)
    Object.assign(window, {
      __vaeEdition: {
        scene,
        lang: () => lang,
        pins: () => map.pins().map(({ x, y, index }) => ({ x, y, index })),
        star: () => map.star(),
        show: (/** @type {string} */ name) => showTab(root, name),
      },
    });
}

// The nets run in a worker where the browser has one (engine/worker_main.js, bundled into this string by build.mjs)
// @ts-expect-error: esbuild's define
const NET_WORKER = /** @type {string} */ (__VAE_NET_WORKER__);
if (typeof Worker === "function" && NET_WORKER) useWorker(NET_WORKER);
start().catch(failed);

/** @param {unknown} e */
function failed(e) {
  LIVE.error = String(e);
  LIVE.status = "server";
  document.body.insertAdjacentHTML("beforeend", `<p role="alert" style="color:#b91c1c;padding:12px"></p>`);
  /** @type {HTMLElement} */ (document.body.lastElementChild).textContent = `The scene could not start: ${e}`;
}
