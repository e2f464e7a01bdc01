// @ts-check
// A training replay (vae/training/replay.py), played in the browser as GAN Lab plays a GAN: the test map
// after each epoch, with the reconstruction and KL curves and a marker at that epoch. Play, pause, step
// and scrub draw the next frame at once, on the page's thread, sending nothing: the frames (E × P × 2
// float16) are one file, fetched once.

import { floats, LIVE, only, TELEMETRY } from "./runtime.js";

/** @typedef {import("./types.js").ReplayPayload} ReplayPayload */

const PLAY_MS = 150; // one epoch per 150 ms: a 60-epoch run plays in 9 s
// icons of ours: a system font may lack ⏮ ⏭ ⏸
const SVG = 'width="14" height="14" viewBox="0 0 14 14" fill="#333" style="vertical-align:middle"';
const ICONS = {
  back: `<svg ${SVG}><rect x="2" y="2" width="2" height="10"/><path d="M12 2 L5 7 L12 12 Z"/></svg>`,
  forward: `<svg ${SVG}><rect x="10" y="2" width="2" height="10"/><path d="M2 2 L9 7 L2 12 Z"/></svg>`,
  play: `<svg ${SVG}><path d="M3 2 L12 7 L3 12 Z"/></svg>`,
  pause: `<svg ${SVG}><rect x="3" y="2" width="3" height="10"/><rect x="8" y="2" width="3" height="10"/></svg>`,
};

/**
 * Map units → canvas pixels over a fixed extent, y up.
 * @param {[[number, number], [number, number]]} extent
 * @param {number} w
 * @param {number} h
 * @param {number} pad
 * @returns {(x: number, y: number) => [number, number]}
 */
export function scaler(extent, w, h, pad) {
  const [[x0, x1], [y0, y1]] = extent;
  const sx = (w - 2 * pad) / (x1 - x0 || 1);
  const sy = (h - 2 * pad) / (y1 - y0 || 1);
  const s = Math.min(sx, sy); // equal axes: a latent space is not stretched
  const ox = pad + (w - 2 * pad - s * (x1 - x0)) / 2;
  const oy = pad + (h - 2 * pad - s * (y1 - y0)) / 2;
  return (x, y) => [ox + (x - x0) * s, h - (oy + (y - y0) * s)];
}

/**
 * The epoch (1-based) a player shows after a step from `epoch` by `by`, kept within 1 … epochs.
 * @param {number} epoch @param {number} by @param {number} epochs
 */
export function stepped(epoch, by, epochs) {
  return Math.min(epochs, Math.max(1, epoch + by));
}

/**
 * @param {{data: ReplayPayload, parentElement: HTMLElement}} component
 * @returns {() => void} the cleanup
 */
export function replayPlayer({ data, parentElement }) {
  const r = data.replay;
  let root = /** @type {HTMLElement | null} */ (parentElement.querySelector(".vae-replay"));
  if (!root || root.dataset.frames !== r.frames) {
    root?.remove();
    root = document.createElement("div");
    root.className = "vae-replay";
    root.dataset.frames = r.frames;
    root.innerHTML = `
      <div style="display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start">
        <canvas class="vae-replay-map" style="width:min(100%, ${r.height}px);aspect-ratio:1;background:#fff;border:1px solid #e5e7eb;border-radius:4px"></canvas>
        <canvas class="vae-replay-curves" style="flex:1 1 260px;min-width:240px;height:${Math.round(r.height * 0.6)}px;background:#fff"></canvas>
      </div>
      <div class="vae-replay-controls" style="display:flex;gap:8px;align-items:center;margin-top:6px;flex-wrap:wrap">
        <button type="button" class="vae-replay-back" style="min-width:2.4em;min-height:2.2em"></button>
        <button type="button" class="vae-replay-play" style="min-width:2.4em;min-height:2.2em"></button>
        <button type="button" class="vae-replay-forward" style="min-width:2.4em;min-height:2.2em"></button>
        <input type="range" class="vae-replay-scrub" min="1" step="1" style="flex:1 1 200px;min-height:2.2em">
        <span class="vae-replay-epoch" style="min-width:9em;font-variant-numeric:tabular-nums"></span>
      </div>
      <div class="vae-replay-legend" style="display:flex;flex-wrap:wrap;gap:4px 12px;font-size:0.85em;margin-top:4px"></div>`;
    parentElement.appendChild(root);
  }
  const q = (/** @type {string} */ s) => /** @type {HTMLElement} */ (/** @type {HTMLElement} */ (root).querySelector(s));
  const mapCanvas = /** @type {HTMLCanvasElement} */ (q(".vae-replay-map"));
  const curveCanvas = /** @type {HTMLCanvasElement} */ (q(".vae-replay-curves"));
  const play = /** @type {HTMLButtonElement} */ (q(".vae-replay-play"));
  const back = /** @type {HTMLButtonElement} */ (q(".vae-replay-back"));
  const forward = /** @type {HTMLButtonElement} */ (q(".vae-replay-forward"));
  const scrub = /** @type {HTMLInputElement} */ (q(".vae-replay-scrub"));
  const label = q(".vae-replay-epoch");
  const legend = q(".vae-replay-legend");
  back.innerHTML = ICONS.back;
  forward.innerHTML = ICONS.forward;
  back.title = back.ariaLabel = r.texts.back;
  forward.title = forward.ariaLabel = r.texts.forward;
  scrub.max = String(r.epochs);
  scrub.setAttribute("aria-label", r.texts.scrub);
  legend.textContent = "";
  for (const [name, colour] of r.groups) {
    const item = document.createElement("span");
    item.innerHTML = `<span style="display:inline-block;width:9px;height:9px;border-radius:50%;background:${colour};margin-right:4px"></span>`;
    item.append(name);
    legend.appendChild(item);
  }

  const probe = { epoch: r.start, drawn: 0, playing: false, lastMs: 0, points: /** @type {number[]} */ ([]) };
  if (TELEMETRY) /** @type {Window & {__vaeReplay?: object}} */ (window).__vaeReplay = probe;
  let epoch = r.start;
  let timer = 0;
  let stopped = false;
  /** @type {Float32Array | null} */
  let frames = null;

  /** @param {number} v a curve's end, written the page language's way (the decimal mark) */
  const written = (v) => v.toFixed(Math.abs(v) >= 100 ? 0 : 1).replace(".", r.texts.decimal);
  /** @param {HTMLCanvasElement} c */
  const fit = (c) => {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr));
    const h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
    return /** @type {CanvasRenderingContext2D} */ (c.getContext("2d"));
  };

  function drawMap() {
    if (!frames) return;
    const t0 = performance.now();
    const ctx = fit(mapCanvas);
    const { width: w, height: h } = mapCanvas;
    const dpr = window.devicePixelRatio || 1;
    ctx.clearRect(0, 0, w, h);
    const at = scaler(r.extent, w, h, 10 * dpr);
    // axes through 0
    ctx.strokeStyle = "#e5e7eb";
    ctx.lineWidth = dpr;
    const [ox, oy] = at(0, 0);
    ctx.beginPath();
    ctx.moveTo(0, oy);
    ctx.lineTo(w, oy);
    ctx.moveTo(ox, 0);
    ctx.lineTo(ox, h);
    ctx.stroke();
    const base = (epoch - 1) * r.points * 2;
    const radius = 1.6 * dpr;
    for (let g = 0; g < r.groups.length; g++) {
      ctx.fillStyle = r.groups[g][1];
      ctx.globalAlpha = 0.75;
      ctx.beginPath();
      for (let i = 0; i < r.points; i++) {
        if (r.group_of[i] !== g) continue;
        const [x, y] = at(frames[base + 2 * i], frames[base + 2 * i + 1]);
        ctx.moveTo(x + radius, y);
        ctx.arc(x, y, radius, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    ctx.fillStyle = "#111";
    ctx.font = `${12 * dpr}px sans-serif`;
    ctx.fillText(r.texts.axes, 8 * dpr, h - 8 * dpr);
    probe.drawn += 1;
    probe.lastMs = performance.now() - t0;
    probe.points = TELEMETRY ? Array.from(frames.subarray(base, base + 2 * r.points)) : [];
  }

  function drawCurves() {
    const ctx = fit(curveCanvas);
    const { width: w, height: h } = curveCanvas;
    const dpr = window.devicePixelRatio || 1;
    ctx.clearRect(0, 0, w, h);
    const panels = [
      ["recon", r.curves.train_recon, r.curves.test_recon],
      ["kl", r.curves.train_kl, r.curves.test_kl],
    ];
    const ph = h / 2;
    panels.forEach(([name, train, test], p) => {
      const top = p * ph + 18 * dpr;
      const bottom = (p + 1) * ph - 8 * dpr;
      const left = 44 * dpr;
      const right = w - 8 * dpr;
      const values = [.../** @type {number[]} */ (train), .../** @type {number[]} */ (test)].filter((v) => Number.isFinite(v));
      const lo = Math.min(...values);
      const hi = Math.max(...values);
      const x = (/** @type {number} */ e) => left + ((e - 1) / Math.max(1, r.epochs - 1)) * (right - left);
      const y = (/** @type {number} */ v) => bottom - ((v - lo) / (hi - lo || 1)) * (bottom - top);
      ctx.fillStyle = "#111";
      ctx.font = `${11 * dpr}px sans-serif`;
      ctx.fillText(`${r.texts[/** @type {"recon" | "kl"} */ (name)]} (${r.texts.unit})`, left, top - 5 * dpr);
      ctx.fillStyle = "#6b7280";
      ctx.fillText(written(hi), 2 * dpr, top + 8 * dpr);
      ctx.fillText(written(lo), 2 * dpr, bottom);
      for (const [series, colour, dash] of /** @type {[number[], string, number[]][]} */ ([
        [/** @type {number[]} */ (train), "#2563eb", []],
        [/** @type {number[]} */ (test), "#dc2626", [4 * dpr, 3 * dpr]],
      ])) {
        ctx.strokeStyle = colour;
        ctx.setLineDash(dash);
        ctx.lineWidth = 1.5 * dpr;
        ctx.beginPath();
        series.forEach((v, i) => {
          if (i) ctx.lineTo(x(i + 1), y(v));
          else ctx.moveTo(x(i + 1), y(v));
        });
        ctx.stroke();
      }
      ctx.setLineDash([]);
      ctx.strokeStyle = "#111";
      ctx.lineWidth = dpr;
      ctx.beginPath();
      ctx.moveTo(x(epoch), top);
      ctx.lineTo(x(epoch), bottom);
      ctx.stroke();
    });
    ctx.fillStyle = "#2563eb";
    ctx.fillText(`— ${r.texts.train}`, w - 150 * dpr, 12 * dpr);
    ctx.fillStyle = "#dc2626";
    ctx.fillText(`- - ${r.texts.test}`, w - 80 * dpr, 12 * dpr);
  }

  /** @param {number} e */
  function show(e) {
    epoch = stepped(e, 0, r.epochs);
    probe.epoch = epoch;
    scrub.value = String(epoch);
    label.textContent = r.texts.epoch.replace("{e}", String(epoch)).replace("{n}", String(r.epochs));
    drawMap();
    drawCurves();
  }
  function pause() {
    if (timer) clearInterval(timer);
    timer = 0;
    probe.playing = false;
    play.innerHTML = ICONS.play;
    play.title = play.ariaLabel = r.texts.play;
  }
  function start() {
    if (epoch >= r.epochs) show(1);
    probe.playing = true;
    play.innerHTML = ICONS.pause;
    play.title = play.ariaLabel = r.texts.pause;
    timer = window.setInterval(() => {
      if (epoch >= r.epochs) return pause();
      show(epoch + 1);
    }, PLAY_MS);
  }
  play.onclick = () => (timer ? pause() : start());
  back.onclick = () => {
    pause();
    show(epoch - 1);
  };
  forward.onclick = () => {
    pause();
    show(epoch + 1);
  };
  scrub.oninput = () => {
    pause();
    show(Number(scrub.value));
  };
  pause();
  const resize = new ResizeObserver(() => !stopped && frames && show(epoch));
  resize.observe(/** @type {HTMLElement} */ (root));

  floats(r.frames)
    .then((f) => {
      if (stopped) return;
      frames = f;
      LIVE.status = "ready";
      show(epoch);
    })
    .catch((e) => {
      LIVE.error = String(e);
    });

  return only("replay", () => {
    stopped = true;
    pause();
    resize.disconnect();
  });
}
