"""Decoding in the browser, three ways weighed against each other in headless Chromium (/usr/bin/chromium),
per model: onnxruntime-web (the ONNX export, vae/artifacts/export.py, as the dashboard ran it before the engine)
and the browser engine (vae/artifacts/browser_net.py's net through frontend/src/engine/net.js) on its plain
JavaScript kernels and on tfjs-core's WebAssembly backend.

- bytes a page downloads to decode: the runtime (its JavaScript and WebAssembly; the engine's own code as
  esbuild bundles it, minified) plus the model's decoder file, raw and gzipped (level 6, as a server
  compresses them; ort's .wasm is shipped pre-gzipped);
- milliseconds per decode of one code, timed in the page (performance.now() around each run), p50 / p95
  over the codes, at CPU 1× and 4× slower (CDP Emulation.setCPUThrottlingRate), after 5 warm-up runs;
- the largest difference of a drawn pixel (uint8, rounded as runtime.js draws it) from torch's
  (vae.core.latent.to_uint8), over the same random prior codes (N(0, I); --codes, at least 100).

The files are served from the repository by a local HTTP server (127.0.0.1, no throttled network:
the bytes are counted, not timed). Results go to stdout (and --out as JSON); logs/browser_decoder.txt
holds a run's output.

    python benchmarks/browser_decoder.py [--models mnist-z16 mnist-dense-z2 celeba-z64 celeba-z128]
        [--codes 100] [--out results.json]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import gzip
import http.server
import json
import os
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np
import torch

from harness.browser import REPO, launch_chromium, summary
from vae.artifacts.browser_net import write_nets
from vae.artifacts.export import export_model
from vae.core.checkpoint import load_model

MODELS = ("mnist-z16", "mnist-dense-z2", "celeba-z64", "celeba-z128")
ENGINES = ("ort", "js", "wasm")
RATES = (1, 4)
WARM_UP = 5

# In the page: load one engine, decode the codes one at a time (5 warm-up runs first), and return the
# time of each run and the drawn pixels (uint8, base64) of each code.
DECODE = """async ({engine, url, codes, warm}) => {
  const t0 = performance.now();
  let decode;
  if (engine === "ort") {  // as the dashboard loaded it before the browser engine (one thread, the .wasm inflated here)
    const ort = await import("/static/ort/ort.wasm.min.mjs");
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = { mjs: new URL("/static/ort/ort-wasm-simd-threaded.mjs", location.href).href };
    const response = await fetch("/static/ort/ort-wasm-simd-threaded.wasm.gz");
    ort.env.wasm.wasmBinary = await new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
    const s = await ort.InferenceSession.create(url, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    decode = async (z) => (await s.run({ z: new ort.Tensor("float32", z, [1, z.length]) })).x.data;
  } else {
    const { loadNet } = await import("/frontend/src/engine/net.js");
    const net = await loadNet(url, { backend: engine, runtime: "/static/tfjs/" });
    decode = (z) => net.run(z);
  }
  const loadMs = performance.now() - t0;
  const z0 = Float32Array.from(codes[0]);
  for (let i = 0; i < warm; i++) await decode(z0);
  const ms = [];
  const bytes = [];
  for (const code of codes) {
    const z = Float32Array.from(code);
    const t = performance.now();
    const out = await decode(z);
    ms.push(performance.now() - t);
    for (let j = 0; j < out.length; j++) bytes.push(Math.round(Math.min(1, Math.max(0, out[j])) * 255));
  }
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.slice(i, i + 8192));
  return { loadMs, ms, pixels: btoa(text) };
}"""


def sizes(paths: list[Path], pregzipped: tuple[Path, ...] = ()) -> tuple[int, int]:
    """(raw bytes, gzipped bytes) of files a page downloads; a .gz file counts as its inflated size raw."""
    raw = gz = 0
    for path in paths:
        data = path.read_bytes()
        if path in pregzipped:
            raw, gz = raw + len(gzip.decompress(data)), gz + len(data)
        else:
            raw, gz = raw + len(data), gz + len(gzip.compress(data, 6))
    return raw, gz


def engine_bundle(folder: Path) -> Path:
    """frontend/src/engine/net.js and its imports as esbuild bundles them, minified (the plain engine's code)."""
    out = folder / "engine.min.mjs"
    esbuild = REPO / "frontend" / "node_modules" / ".bin" / "esbuild"
    subprocess.run(
        [
            str(esbuild),
            str(REPO / "frontend/src/engine/net.js"),
            "--bundle",
            "--format=esm",
            "--minify",
            f"--outfile={out}",
            "--log-level=warning",
        ],
        check=True,
    )
    return out


def downloads(model: str, folder: Path) -> dict[str, tuple[list[Path], tuple[Path, ...], str]]:
    """Per engine: the files a page fetches to decode with `model`, the pre-gzipped ones, the decoder's URL."""
    model_dir = REPO / "models" / model
    onnx = export_model(model_dir).decoder
    net = write_nets(model_dir)["decoder"]
    net_files = [net, net.with_name(json.loads(net.read_text())["bin"])]
    ort_dir, tfjs_dir = REPO / "static" / "ort", REPO / "static" / "tfjs"
    ort_wasm = ort_dir / "ort-wasm-simd-threaded.wasm.gz"
    engine = engine_bundle(folder)
    url = "/" + str(net.relative_to(REPO))
    return {
        "ort": (
            [ort_dir / "ort.wasm.min.mjs", ort_dir / "ort-wasm-simd-threaded.mjs", ort_wasm, onnx],
            (ort_wasm,),
            "/" + str(onnx.relative_to(REPO)),
        ),
        "js": ([engine, *net_files], (), url),
        "wasm": ([engine, tfjs_dir / "tfjs.mjs", tfjs_dir / "tfjs-backend-wasm-simd.wasm", *net_files], (), url),
    }


@contextlib.contextmanager
def serve_repo():
    """The repository over HTTP on 127.0.0.1 (a thread): yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(REPO))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript", ".wasm": "application/wasm"}

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


def torch_pixels(model: str, codes: np.ndarray) -> np.ndarray:
    """torch's drawn pixels of the codes, uint8 in (N, C·H·W) (C, H, W) order."""
    with torch.inference_mode():
        pixels = load_model(REPO / "models" / model).decode(torch.from_numpy(codes))
    return (pixels.clamp(0, 1) * 255).round().to(torch.uint8).flatten(1).numpy()


def measure(page, cdp, engine: str, url: str, codes: np.ndarray) -> dict:
    """One engine's decodes of the codes at each CPU rate: times and the pixels of the 1× run."""
    out: dict = {}
    for rate in RATES:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
        page.reload()
        result = page.evaluate(DECODE, {"engine": engine, "url": url, "codes": codes.tolist(), "warm": WARM_UP})
        out[rate] = {"load_ms": result["loadMs"], "ms": summary(result["ms"])}
        if rate == 1:
            out["pixels"] = np.frombuffer(base64.b64decode(result["pixels"]), np.uint8).reshape(len(codes), -1)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    return out


def run(models: list[str], n_codes: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, serve_repo() as base, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page()
        page.set_default_timeout(600_000)
        page.goto(f"{base}/frontend/")
        cdp = page.context.new_cdp_session(page)
        for model in models:
            latent_dim = load_model(REPO / "models" / model).config.latent_dim
            codes = np.random.default_rng(25).standard_normal((n_codes, latent_dim)).astype(np.float32)
            expected = torch_pixels(model, codes)
            for engine, (files, pregzipped, url) in downloads(model, Path(tmp)).items():
                figures = measure(page, cdp, engine, url, codes)
                raw, gz = sizes(files, pregzipped)
                diff = int(np.abs(figures.pop("pixels").astype(int) - expected.astype(int)).max())
                rows.append({"model": model, "engine": engine, "raw_bytes": raw, "gzip_bytes": gz, "max_pixel_diff": diff, **figures})
                print(row_text(rows[-1]), flush=True)
        browser.close()
    return rows


def row_text(row: dict) -> str:
    ms = " ".join(f"{row[r]['ms']['p50']:8.2f} {row[r]['ms']['p95']:8.2f}" for r in RATES)
    return (
        f"{row['model']:<15} {row['engine']:<5} {row['raw_bytes'] / 1e6:9.2f} {row['gzip_bytes'] / 1e6:8.2f}  {ms}"
        f"  {row['max_pixel_diff']:>5}/255  {row[1]['load_ms']:8.0f}"
    )


HEADER = (
    f"{'model':<15} {'kernels':<5} {'MB raw':>9} {'MB gzip':>8}  {'1× p50':>8} {'1× p95':>8} {'4× p50':>8} {'4× p95':>8}"
    f"  {'max Δ':>9}  {'load ms':>8}"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--codes", type=int, default=100, help="random prior codes per model (at least 100 for the report)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    machine = {"cpus": os.cpu_count(), "load_start": round(os.getloadavg()[0], 2)}
    print(f"decoding one code in headless Chromium ({args.codes} random prior codes per model, {WARM_UP} warm-up runs);")
    print(
        "ms per decode timed in the page; max Δ: the largest drawn-pixel difference from torch; load ms: runtime + model, CPU 1×, local server"
    )
    print(HEADER, flush=True)
    rows = run(args.models, args.codes)
    machine["load_end"] = round(os.getloadavg()[0], 2)
    print(f"machine: {machine['cpus']} CPUs, load average {machine['load_start']} at start, {machine['load_end']} at end (1 min)")
    if args.out:
        args.out.write_text(json.dumps({"rows": rows, "machine": machine}, indent=1, default=str))


if __name__ == "__main__":
    main()
