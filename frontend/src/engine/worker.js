// @ts-check
// The nets served from a Web Worker (the student edition: runtime.js's useWorker). The page's thread then
// only takes the pointer's events and draws the pictures; on a phone (CPU 4× slower) a decode held it
// 16–22 ms per move, and the touch events waited behind it.
//
// The worker reads every file through its page (a "fetch" message; the page answers with the bytes, from
// what index.html preloaded), so nothing is fetched twice, and runs from a blob: URL made of this module
// bundled on its own (build.mjs), so the edition's bundle is not fetched twice either.
//
// Messages from the page: {id, op: "load" | "run", url, runtime, input}, answered {id, spec, inputSize,
// outputShape, backend} for a load, {id, output} (its buffer transferred) for a run, or {id, error}; and
// {fetched, ok, status, body} answering the worker's {fetch: url, fetched}.

import { loadNet } from "./net.js";

/**
 * A request to the worker.
 * @typedef {object} NetRequest
 * @property {number} id
 * @property {"load" | "run"} op
 * @property {string} url the net's JSON (absolute)
 * @property {string} runtime the folder of tfjs.mjs (absolute)
 * @property {Float32Array} [input]
 */

/**
 * The page's answer to a file the worker asked for.
 * @typedef {object} FileAnswer
 * @property {number} fetched
 * @property {boolean} ok
 * @property {number} status
 * @property {ArrayBuffer} [body]
 */

/**
 * @typedef {object} WorkerScope
 * @property {((e: MessageEvent<NetRequest | FileAnswer>) => void) | null} onmessage
 * @property {(message: unknown, transfer?: Transferable[]) => void} postMessage
 */

/**
 * Answers the page's requests in this worker, each net loaded once per URL, its files read through the page.
 * @param {WorkerScope} scope the worker's global scope
 */
export function serveNets(scope) {
  /** @type {Map<string, Promise<import("./net.js").Net>>} */
  const nets = new Map();
  /** @type {Map<number, (answer: FileAnswer) => void>} */
  const files = new Map();
  let asked = 0;
  /** @param {string} url @returns {Promise<Response>} a file as the page fetched it */
  const read = (url) =>
    new Promise((resolve) => {
      const fetched = ++asked;
      files.set(fetched, (a) => resolve(new Response(a.body ?? null, { status: a.ok ? 200 : a.status || 500 })));
      scope.postMessage({ fetch: url, fetched });
    });
  /** @param {string} url @returns {Promise<any>} a module read through the page, imported from a blob: URL */
  const importModule = async (url) => {
    const text = await (await read(url)).text();
    return import(URL.createObjectURL(new Blob([text], { type: "text/javascript" })));
  };
  // tfjs reads its .wasm with the platform's fetch: through the page too
  /** @type {any} */ (scope).fetch = (/** @type {RequestInfo | URL} */ url) => read(String(url));

  scope.onmessage = async (e) => {
    const message = e.data;
    if ("fetched" in message) {
      files.get(message.fetched)?.(message);
      files.delete(message.fetched);
      return;
    }
    const { id, op, url, runtime, input } = message;
    try {
      let n = nets.get(url);
      if (!n) {
        n = loadNet(url, { backend: "auto", runtime, fetch: read, importModule });
        nets.set(url, n);
      }
      const loaded = await n;
      if (op === "load") {
        scope.postMessage({ id, spec: loaded.spec, inputSize: loaded.inputSize, outputShape: loaded.outputShape, backend: loaded.backend });
      } else {
        const output = await loaded.run(/** @type {Float32Array} */ (input));
        scope.postMessage({ id, output }, [output.buffer]);
      }
    } catch (err) {
      scope.postMessage({ id, error: String(err) });
    }
  };
}
