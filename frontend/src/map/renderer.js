// @ts-check
// The map's points drawn: WebGL (one draw call, round points), or the 2-D canvas where WebGL is
// unavailable (squares, skipping those outside the area).

const VERTEX = `
attribute vec2 a_xy; attribute vec4 a_rgba;
uniform vec2 u_scale; uniform vec2 u_offset; uniform float u_size;
varying vec4 v_rgba;
void main() { gl_Position = vec4(a_xy * u_scale + u_offset, 0.0, 1.0); gl_PointSize = u_size; v_rgba = a_rgba; }`;
const FRAGMENT = `
precision mediump float; varying vec4 v_rgba;
void main() { vec2 d = gl_PointCoord - 0.5; if (dot(d, d) > 0.25) discard; gl_FragColor = v_rgba; }`;

/** @typedef {import("./view.js").View} View */
/** @typedef {import("./view.js").Area} Area */

/**
 * The points' WebGL state: the program and the two buffers.
 * @typedef {{gl: WebGLRenderingContext, program: WebGLProgram, xy: WebGLBuffer, rgba: WebGLBuffer}} GlPoints
 */

/**
 * @param {WebGLRenderingContext} gl
 * @returns {WebGLProgram}
 */
function glProgram(gl) {
  /** @param {number} type @param {string} source */
  const shader = (type, source) => {
    const s = gl.createShader(type);
    if (!s) throw new Error("WebGL: no shader");
    gl.shaderSource(s, source);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s) || "shader");
    return s;
  };
  const p = gl.createProgram();
  if (!p) throw new Error("WebGL: no program");
  gl.attachShader(p, shader(gl.VERTEX_SHADER, VERTEX));
  gl.attachShader(p, shader(gl.FRAGMENT_SHADER, FRAGMENT));
  gl.linkProgram(p);
  if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(p) || "link");
  return p;
}

/**
 * WebGL on this canvas, or null (then the 2-D canvas draws).
 * @param {HTMLCanvasElement} canvas
 * @param {(error: string) => void} onError
 * @returns {GlPoints | null}
 */
export function createGl(canvas, onError) {
  const gl = canvas.getContext("webgl", { premultipliedAlpha: false, antialias: true, preserveDrawingBuffer: true });
  if (!gl) return null;
  try {
    const program = glProgram(gl);
    const xy = gl.createBuffer();
    const rgba = gl.createBuffer();
    if (!xy || !rgba) throw new Error("WebGL: no buffer");
    return { gl, program, xy, rgba };
  } catch (e) {
    onError(String(e));
    return null;
  }
}

/**
 * The colours with each point's alpha: 0 for a hidden group's, the map's opacity otherwise.
 * @param {Uint8Array} colours (N, 4): R, G, B, group
 * @param {Set<number>} hidden
 * @param {number} opacity
 */
export function visibleAlpha(colours, hidden, opacity) {
  const n = colours.length / 4;
  const rgba = new Uint8Array(colours);
  for (let i = 0; i < n; i++) rgba[4 * i + 3] = hidden.has(colours[4 * i + 3]) ? 0 : Math.round(opacity * 255);
  return rgba;
}

/**
 * @param {GlPoints} g
 * @param {Float32Array} coords
 * @param {Uint8Array} rgba
 */
export function upload(g, coords, rgba) {
  const { gl } = g;
  gl.bindBuffer(gl.ARRAY_BUFFER, g.xy);
  gl.bufferData(gl.ARRAY_BUFFER, coords, gl.STATIC_DRAW);
  gl.bindBuffer(gl.ARRAY_BUFFER, g.rgba);
  gl.bufferData(gl.ARRAY_BUFFER, rgba, gl.STATIC_DRAW);
}

/**
 * The points with WebGL, clipped to the plotting area.
 * @param {GlPoints} g
 * @param {number} n
 * @param {View} v
 * @param {Area} a
 * @param {number} plotHeight CSS px
 * @param {number} dpr
 * @param {number} size the points' diameter, CSS px
 */
export function drawGl(g, n, v, a, plotHeight, dpr, size) {
  const { gl, program } = g;
  gl.viewport(0, 0, gl.canvas.width, gl.canvas.height);
  gl.clearColor(0, 0, 0, 0);
  gl.disable(gl.SCISSOR_TEST);
  gl.clear(gl.COLOR_BUFFER_BIT);
  gl.enable(gl.SCISSOR_TEST);
  const vx = Math.round(a.left * dpr);
  const vy = Math.round((plotHeight - a.top - a.height) * dpr);
  const vw = Math.round(a.width * dpr);
  const vh = Math.round(a.height * dpr);
  gl.viewport(vx, vy, vw, vh);
  gl.scissor(vx, vy, vw, vh);
  gl.useProgram(program);
  gl.enable(gl.BLEND);
  gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
  const sx = 2 / (v.x1 - v.x0);
  const sy = 2 / (v.y1 - v.y0);
  gl.uniform2f(gl.getUniformLocation(program, "u_scale"), sx, sy);
  gl.uniform2f(gl.getUniformLocation(program, "u_offset"), -1 - v.x0 * sx, -1 - v.y0 * sy);
  gl.uniform1f(gl.getUniformLocation(program, "u_size"), size * dpr);
  const xy = gl.getAttribLocation(program, "a_xy");
  const rgba = gl.getAttribLocation(program, "a_rgba");
  gl.bindBuffer(gl.ARRAY_BUFFER, g.xy);
  gl.enableVertexAttribArray(xy);
  gl.vertexAttribPointer(xy, 2, gl.FLOAT, false, 0, 0);
  gl.bindBuffer(gl.ARRAY_BUFFER, g.rgba);
  gl.enableVertexAttribArray(rgba);
  gl.vertexAttribPointer(rgba, 4, gl.UNSIGNED_BYTE, true, 0, 0);
  gl.drawArrays(gl.POINTS, 0, n);
}

/**
 * The same points on a 2-D canvas (no WebGL): squares, clipped to the plotting area.
 * @param {CanvasRenderingContext2D} ctx
 * @param {Float32Array} coords
 * @param {Uint8Array} rgba
 * @param {(x: number, y: number) => [number, number]} toPixel
 * @param {Area} a
 * @param {number} size the points' diameter, CSS px
 * @param {number} opacity
 */
export function draw2d(ctx, coords, rgba, toPixel, a, size, opacity) {
  const n = coords.length / 2;
  const r = size / 2;
  ctx.save();
  ctx.beginPath();
  ctx.rect(a.left, a.top, a.width, a.height);
  ctx.clip();
  for (let i = 0; i < n; i++) {
    if (rgba[4 * i + 3] === 0) continue;
    const [px, py] = toPixel(coords[2 * i], coords[2 * i + 1]);
    if (px < -r || py < -r || px > a.width + r || py > a.height + r) continue;
    ctx.fillStyle = `rgba(${rgba[4 * i]},${rgba[4 * i + 1]},${rgba[4 * i + 2]},${opacity})`;
    ctx.fillRect(a.left + px - r, a.top + py - r, 2 * r, 2 * r);
  }
  ctx.restore();
}
