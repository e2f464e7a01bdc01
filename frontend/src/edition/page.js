// @ts-check
// The edition's page: its DOM (no framework) and style, phone first (390 px wide: the picture and
// the control that moves it on the first screen, no horizontal scroll), tabs for the map, the
// sliders, the path and the drawing, and every text set from the scene's catalogue by its key
// (data-t), so the language switch only sets them again.

import { say } from "./texts.js";

/** @typedef {import("./scene.js").Scene} Scene */

const STYLE = `
*{box-sizing:border-box}
html,body{margin:0;padding:0;overflow-x:hidden}
body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff}
.ed{max-width:980px;margin:0 auto;padding:6px 10px 24px}
.ed-head{display:flex;align-items:center;gap:8px;justify-content:space-between}
.ed-head h1{font-size:1.05rem;margin:4px 0;line-height:1.25}
.ed-head small{display:block;font-weight:400;opacity:.7}
.ed button,.ed select{font:inherit;min-height:36px;padding:4px 12px;border:1px solid #c8ccd1;border-radius:8px;background:#f6f8fa;color:inherit;cursor:pointer}
.ed button:disabled{opacity:.45;cursor:default}
.ed button[aria-pressed="true"]{background:#1f6feb;border-color:#1f6feb;color:#fff}
.ed-tabs{display:flex;gap:4px;margin:6px 0 8px;overflow-x:auto}
.ed-tabs button{flex:1 1 0;min-width:0;white-space:nowrap;overflow:hidden;text-overflow:clip;padding:4px 6px}
.ed-tabs button[aria-selected="true"]{background:#1f6feb;border-color:#1f6feb;color:#fff}
.ed-panel[hidden]{display:none}
.ed-picture,.ed-end,.ed-digit{image-rendering:pixelated;background:#f4f4f4;border-radius:6px}
.ed-figure{position:sticky;top:0;z-index:2;background:#fff;display:flex;gap:10px;align-items:center;padding:4px 0;margin:0}
.ed-figure .ed-picture{width:168px;height:168px;flex:none}
.ed-row{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0}
.ed-sliders,.ed-more-body{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:2px 16px}
.ed-slider{display:flex;flex-direction:column;font-size:.85em}
.ed-slider-value{float:right;font-variant-numeric:tabular-nums;opacity:.8}
.ed-slider input{width:100%;height:30px;margin:0;touch-action:pan-y}
.ed-inactive{opacity:.55}
.ed-ab{display:flex;gap:8px;align-items:center}
.ed-end{width:64px;height:64px}
.ed-scrub{width:100%;height:36px;touch-action:pan-y}
.ed-canvas{width:min(280px,80vw);height:min(280px,80vw);touch-action:none;border-radius:6px;display:block}
.ed-digit{width:84px;height:84px}
.ed-note{font-size:.85em;opacity:.75;margin:4px 0}
.ed-map-host{width:100%}
.ed-map-row{align-items:center;justify-content:space-between}
.ed-map-row .ed-note{margin:0}
`;

/**
 * The elements under `root` that match `selector`.
 * @param {ParentNode} root
 * @param {string} selector
 * @returns {HTMLElement[]}
 */
const all = (root, selector) => /** @type {HTMLElement[]} */ ([...root.querySelectorAll(selector)]);

/**
 * The page's skeleton in `root`: the header, the tabs and their panels (the drawing only for MNIST).
 * @param {HTMLElement} root
 * @param {Scene} scene
 */
export function buildPage(root, scene) {
  const style = document.createElement("style");
  style.textContent = STYLE;
  document.head.appendChild(style);
  const draws = !!(scene.encoder && scene.inputs);
  root.className = "ed";
  root.innerHTML = `
  <header class="ed-head"><h1><span data-t="map.title"></span><small class="ed-model"></small></h1>
    <button type="button" class="ed-lang" data-t="edition.switch"></button></header>
  <nav class="ed-tabs" role="tablist">
    <button type="button" role="tab" data-tab="map" data-t="edition.tab.map"></button>
    <button type="button" role="tab" data-tab="sliders" data-t="edition.tab.sliders"></button>
    <button type="button" role="tab" data-tab="path" data-t="edition.tab.path"></button>
    ${draws ? '<button type="button" role="tab" data-tab="draw" data-t="edition.tab.draw"></button>' : ""}
  </nav>
  <section class="ed-panel" data-panel="map">
    <div class="ed-row ed-map-row"><span class="ed-note"><span data-t="map.colour"></span>: <span class="ed-colour"></span></span>
      ${scene.faces ? '<button type="button" class="ed-faces" aria-pressed="false" data-t="map.faces"></button>' : ""}</div>
    <div class="ed-map-host"></div>
  </section>
  <section class="ed-panel" data-panel="sliders" hidden>
    <figure class="ed-figure"><canvas class="ed-picture"></canvas><figcaption data-t="sliders.decoded"></figcaption></figure>
    <div class="ed-row">
      <button type="button" data-start="mean" data-t="sliders.from_mean"></button>
      <button type="button" data-start="random" data-t="edition.from_random"></button>
      <button type="button" data-start="pin" data-t="edition.from_pin" disabled></button>
    </div>
    <div class="ed-sliders"></div>
    <details class="ed-sliders-more"><summary data-t="edition.more"></summary><div class="ed-more-body"></div></details>
  </section>
  <section class="ed-panel" data-panel="path" hidden>
    <p class="ed-path-none ed-note" data-t="edition.pin_two"></p>
    <div class="ed-path-body" style="display:none">
      <figure class="ed-figure"><canvas class="ed-picture"></canvas>
        <div class="ed-ab"><span>A</span><canvas class="ed-end ed-end-a"></canvas><span>B</span><canvas class="ed-end ed-end-b"></canvas></div></figure>
      <label class="ed-slider"><span data-t="interp.scrub_t"></span><input class="ed-scrub" type="range" min="0" max="1" step="0.01" value="0.5"></label>
      <label class="ed-row"><span data-t="interp.method"></span><select class="ed-method">
        <option value="lerp" data-t="interp.method.lerp"></option><option value="slerp" data-t="interp.method.slerp"></option></select></label>
    </div>
  </section>
  ${
    draws
      ? `<section class="ed-panel" data-panel="draw" hidden>
    <canvas class="ed-canvas"></canvas>
    <div class="ed-row"><button type="button" class="ed-clear" data-t="edition.clear"></button><canvas class="ed-digit"></canvas></div>
    <p class="ed-note ed-landed" data-t="edition.draw_help"></p>
  </section>`
      : ""
  }
  <p class="ed-note" data-t="edition.offline"></p>`;
  /** @type {HTMLElement} */ (root.querySelector(".ed-model")).textContent = scene.model;
  for (const tab of all(root, "[data-tab]")) tab.addEventListener("click", () => showTab(root, tab.dataset.tab || "map"));
  showTab(root, "map");
}

/**
 * Shows one panel.
 * @param {HTMLElement} root
 * @param {string} name
 */
export function showTab(root, name) {
  for (const tab of all(root, "[data-tab]")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  for (const panel of all(root, "[data-panel]")) panel.hidden = panel.dataset.panel !== name;
  window.dispatchEvent(new Event("resize"));
}

/**
 * Every text of the page in `lang`: the elements with data-t, the sliders' labels (data-dim), the
 * page's language and title.
 * @param {HTMLElement} root
 * @param {Scene} scene
 * @param {string} lang
 */
export function applyTexts(root, scene, lang) {
  for (const el of all(root, "[data-t]")) el.textContent = say(scene.texts, lang, el.dataset.t || "");
  const dims = scene.texts[lang === "fr" ? "fr" : "en"].dims;
  for (const el of all(root, "[data-dim]")) el.textContent = dims[Number(el.dataset.dim)];
  const colour = scene.map_colour;
  /** @type {HTMLElement} */ (root.querySelector(".ed-colour")).textContent = colour.startsWith("attr:")
    ? colour.slice(5).replaceAll("_", " ")
    : say(scene.texts, lang, `map.colour.${colour}`);
  document.documentElement.lang = lang;
  document.title = `${scene.model} · ${say(scene.texts, lang, "map.title")}`;
}
