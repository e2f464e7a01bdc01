// @ts-check
// The nets' worker on its own (build.mjs bundles it into a string that the student edition starts from a
// blob: URL, runtime.js's useWorker): engine/worker.js serving in this worker's scope.
import { serveNets } from "./worker.js";

serveNets(/** @type {any} */ (globalThis));
