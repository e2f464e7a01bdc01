// @ts-check
// The latent map of the edition: the dashboard's map (map/map.js) given a small shim of a Streamlit
// component. Its click, which the dashboard sends to Python, is kept here: the last two pinned spots
// (A, B) with their codes; the map is run again with the new pin (as a rerun would), the earlier
// pin drawn as "A", a drawn digit's place as a star, and on CelebA the faces mode switched here.

import { latentMap } from "../map/map.js";
import { floats } from "../runtime.js";
import { pinCode, withPin } from "./placement.js";

/** @typedef {import("./scene.js").Scene} Scene */
/** @typedef {import("../types.js").MapPayload} MapPayload */
/** @typedef {{x: number, y: number, index: number | null, code: Float32Array}} Pin */

/**
 * @param {HTMLElement} host where the map is built
 * @param {Scene} scene
 * @param {(pins: Pin[]) => void} pinned called after each new pin
 * @param {Promise<unknown>} [first] what the map waits for before it fetches its arrays and draws: the
 *   decoder, so that on a slow link the first picture's files are not shared with the map's (celeba-z64
 *   through python -m http.server at 10 Mbit/s: 3.5 MB in all, 2.8 MB of them the decoder and its runtime)
 */
export function mapView(host, scene, pinned, first = Promise.resolve()) {
  const m = scene.map;
  /** @type {Pin[]} */
  let pins = [];
  /** @type {{xy: [number, number], name: string} | null} */
  let star = null;
  let faces = false;
  let lang = scene.lang;
  let cleanup = () => {};
  const settled = first.catch(() => undefined); // a decoder that fails does not keep the map away
  const arrays = settled.then(() => Promise.all([floats(m.coords), floats(m.codes)]));

  function run() {
    const texts = scene.texts[/** @type {"en" | "fr"} */ (lang)];
    const last = pins.at(-1);
    /** @type {MapPayload["overlays"]} */
    const overlays = [];
    if (pins.length === 2) overlays.push({ name: "A", colour: "#111111", points: [pins[0].x, pins[0].y] });
    if (star) overlays.push({ name: star.name, colour: "#e11d48", points: [...star.xy], marker: "star" });
    const height = Math.round(Math.min(m.height, Math.max(360, window.innerHeight - 230)));
    /** @type {MapPayload} */
    const map = {
      ...m,
      height,
      texts: texts.map,
      groups: texts.groups,
      axes: texts.axes,
      pin: last ? [last.x, last.y, last.index] : null,
      overlays,
      faces: faces ? scene.faces : null,
    };
    started = true;
    cleanup();
    cleanup = latentMap({
      data: { runtime: scene.runtime, decoder: scene.decoder, model: scene.model, image_shape: scene.image_shape, map },
      parentElement: host,
      setTriggerValue: (name, value) => {
        if (name === "click") clicked(/** @type {{x: number, y: number, index: number | null}} */ (value));
      },
    });
  }

  /** @param {{x: number, y: number, index: number | null}} click */
  function clicked({ x, y, index }) {
    arrays.then(([coords, codes]) => {
      const code = pinCode(m, coords, codes, { x, y, index });
      pins = withPin(pins, { x, y, index, code });
      run();
      pinned(pins);
    });
  }

  let started = false;
  settled.then(() => {
    if (!started) run();
  });
  return {
    run,
    /** @param {string} next */
    setLanguage(next) {
      lang = next;
      run();
    },
    /** @param {boolean} on */
    setFaces(on) {
      faces = on && !!scene.faces;
      run();
    },
    /** @param {[number, number]} xy @param {string} name */
    setStar(xy, name) {
      star = { xy, name };
      run();
    },
    /** @returns {Pin[]} */
    pins: () => pins,
    /** @returns {{xy: [number, number], name: string} | null} */
    star: () => star,
  };
}
