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
    item.innerHTML = `<span style="color:${o.colour};font-weight:700">${o.marker === "star" ? "★" : "✕"}</span><span></span>`;
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

/**
 * The +, − and ⟲ buttons, rebuilt.
 * @param {HTMLElement} tools
 * @param {import("../types.js").MapTexts} texts
 * @param {{zoomIn: () => void, zoomOut: () => void, reset: () => void}} act
 */
export function buildTools(tools, texts, act) {
  tools.textContent = "";
  /** @type {[string, string, () => void][]} */
  const buttons = [
    ["+", texts.zoom_in, act.zoomIn],
    ["−", texts.zoom_out, act.zoomOut],
    ["⟲", texts.reset, act.reset],
  ];
  for (const [label, title, onclick] of buttons) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.style.cssText =
      "width:1.8em;height:1.8em;border:1px solid #bbb;border-radius:4px;background:rgba(255,255,255,0.9);cursor:pointer;font-size:0.95em;line-height:1;padding:0;color:#333";
    b.onclick = onclick;
    tools.appendChild(b);
  }
}
