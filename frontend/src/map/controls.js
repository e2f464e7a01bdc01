// @ts-check
// The map's controls: the legend (a group's entry toggles its points; a score shows its colour bar;
// the sample overlays' keys) and the zoom and reset buttons.

/** @typedef {import("../types.js").MapPayload} MapPayload */

/**
 * The legend, rebuilt: the sample overlays' keys, then the colour bar of a score or the groups as buttons.
 * @param {HTMLElement} legend
 * @param {MapPayload} m
 * @param {Set<number>} hidden the groups hidden now (changed by the buttons)
 * @param {() => void} changed called after a group is shown or hidden
 */
export function buildLegend(legend, m, hidden, changed) {
  legend.textContent = "";
  for (const o of m.overlays || []) {
    const item = document.createElement("span");
    item.className = "vae-map-overlay-key";
    item.style.cssText = "display:inline-flex;align-items:center;gap:5px";
    const key = o.marker === "star" ? "★" : o.marker === "ring" ? "○" : "✕";
    item.innerHTML = `<span style="color:${o.colour};font-weight:700">${key}</span><span></span>`;
    /** @type {Node} */ (item.lastChild).textContent = o.name;
    legend.appendChild(item);
  }
  if (m.scale) {
    const bar = document.createElement("span");
    bar.style.cssText = `display:inline-block;width:160px;height:10px;border-radius:2px;background:linear-gradient(to right, ${m.scale.stops.join(",")})`;
    const lo = document.createElement("span");
    const hi = document.createElement("span");
    lo.textContent = m.scale.lo;
    hi.textContent = `${m.scale.hi} ${m.scale.title}`;
    legend.prepend(lo, bar, hi);
    return;
  }
  m.groups.forEach(([name, colour], g) => {
    const item = document.createElement("button");
    item.type = "button";
    item.className = "vae-map-group";
    item.dataset.group = String(g);
    item.style.cssText = "all:unset;cursor:pointer;display:inline-flex;align-items:center;gap:5px";
    item.innerHTML = `<span style="width:10px;height:10px;border-radius:50%;background:${colour}"></span><span></span>`;
    /** @type {Node} */ (item.lastChild).textContent = name;
    item.style.opacity = hidden.has(g) ? "0.35" : "1";
    item.title = m.texts.legend;
    item.onclick = () => {
      if (hidden.has(g)) hidden.delete(g);
      else hidden.add(g);
      item.style.opacity = hidden.has(g) ? "0.35" : "1";
      changed();
    };
    legend.insertBefore(item, legend.querySelector(".vae-map-overlay-key"));
  });
}

const ICON = 'width="14" height="14" viewBox="0 0 14 14" fill="none" stroke="#333" stroke-width="1.4" style="vertical-align:middle"';
const BOX_ICON = `<svg ${ICON}><rect x="2" y="3" width="10" height="8" stroke-dasharray="2 1.5"/></svg>`;
const LASSO_ICON = `<svg ${ICON}><path d="M4 10 C0 8 1 2 7 2 C13 2 13 8 8 9 C6 9.5 5 10 5.5 12.5" stroke-dasharray="2 1.5"/></svg>`;

/**
 * The +, − and ⟲ buttons, rebuilt; where the map brushes, the box and lasso buttons too (pressed: a
 * drag draws that region instead of panning; pressed again: panning again).
 * @param {HTMLElement} tools
 * @param {import("../types.js").MapTexts} texts
 * @param {{zoomIn: () => void, zoomOut: () => void, reset: () => void}} act
 * @param {{mode: () => string | null, set: (mode: string | null) => void} | null} [brush]
 */
export function buildTools(tools, texts, act, brush = null) {
  tools.textContent = "";
  /** @type {[string, string, () => void, string][]} */
  const buttons = [
    ["+", texts.zoom_in, act.zoomIn, ""],
    ["−", texts.zoom_out, act.zoomOut, ""],
    ["⟲", texts.reset, act.reset, ""],
  ];
  if (brush) {
    /** @type {[string, string, string][]} */
    const brushes = [
      ["box", BOX_ICON, texts.box ?? "box"],
      ["lasso", LASSO_ICON, texts.lasso ?? "lasso"],
    ];
    for (const [mode, label, title] of brushes) {
      buttons.push([label, title, () => brush.set(brush.mode() === mode ? null : mode), mode]);
    }
  }
  for (const [label, title, onclick, mode] of buttons) {
    const b = document.createElement("button");
    b.type = "button";
    if (mode)
      b.innerHTML = label; // an icon of ours (no font has both glyphs)
    else b.textContent = label;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.style.cssText =
      "width:1.8em;height:1.8em;border:1px solid #bbb;border-radius:4px;background:rgba(255,255,255,0.9);cursor:pointer;font-size:0.95em;line-height:1;padding:0;color:#333";
    if (mode) {
      b.dataset.brush = mode;
      b.setAttribute("aria-pressed", String(brush?.mode() === mode));
      if (brush?.mode() === mode) b.style.background = "#fde68a";
    }
    b.onclick = () => {
      onclick();
      if (brush)
        for (const other of tools.querySelectorAll("button[data-brush]")) {
          const on = brush.mode() === /** @type {HTMLElement} */ (other).dataset.brush;
          other.setAttribute("aria-pressed", String(on));
          /** @type {HTMLElement} */ (other).style.background = on ? "#fde68a" : "rgba(255,255,255,0.9)";
        }
    };
    tools.appendChild(b);
  }
}
