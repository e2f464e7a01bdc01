"""A lecture hall fetching the student edition: 1,000 simulated students load one exported edition through
nginx on this machine (`scripts/serve_replicas.sh 0 PORT`, nginx serving EDITIONS_DIR alone), as a browser's
first visit: index.html, then every file of assets/ over up to 6 keep-alive connections, Accept-Encoding
gzip. Students arrive evenly within `--arrive-s` seconds, at most `--concurrency` at a time.

    python -m benchmarks.edition_load --model mnist-z16              # exports it first (vae-explorer share)
    python -m benchmarks.edition_load --edition editions/mnist-z16   # an export already made

Every answer is checked: status 200 and the very bytes of a reference fetch made before the run (whose
gzip was inflated and compared with the file). Printed: errors (must be 0), seconds per full edition fetch
(p50, p95, max; from a student's first connection to its last byte), bytes on the wire per student (headers
and chunk framing included), total bytes, requests/s and MB/s.

Reference in the same run, through the same nginx: as many students fetching only the browser runtime the
dashboard's tabs downloaded before the browser engine (onnxruntime-web, static/ort, kept as the benchmarks' reference: ort.wasm.min.mjs, ort-wasm-simd-threaded.mjs, ort-wasm-simd-threaded.wasm.gz,
and the bundle static/live/live.mjs), served by nginx as static files from a folder beside the edition (the
dashboard itself serves them through a replica's Tornado, which is slower still). The load client is one
Python process (asyncio) on the same machine as nginx: on a 2-core machine the two share the CPUs.

Written to logs/edition_load.txt (or `--log`). Exit status 0 only with zero errors in both runs.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from harness.editions import readable_by_nginx
from harness.nginx import lecture_hall, nginx_binary

REPO = Path(__file__).resolve().parent.parent
RUNTIME = [REPO / "static" / "ort" / name for name in ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm.gz")]
BUNDLE = REPO / "static" / "live" / "live.mjs"
CONNECTIONS_PER_STUDENT = 6  # Chromium's HTTP/1.1 connections per host
TIMEOUT_S = 120.0


@dataclass
class Answer:
    status: int
    wire_bytes: int  # status line, headers, body and chunk framing as they came
    body_crc: int  # crc32 of the body as sent (gzipped or not)
    body_bytes: int
    body: bytes = b""


@dataclass
class Student:
    seconds: float = 0.0
    wire_bytes: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


async def read_answer(reader: asyncio.StreamReader, keep_body: bool = False) -> Answer:
    """One HTTP/1.1 answer: Content-Length or chunked (nginx's gzip streams chunks)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    wire, crc, size, kept = len(head), 0, 0, []
    if headers.get("transfer-encoding") == "chunked":
        while True:
            line = await reader.readuntil(b"\r\n")
            chunk = int(line.split(b";")[0], 16)
            data = await reader.readexactly(chunk + 2)
            wire += len(line) + len(data)
            if chunk == 0:
                break
            crc, size = zlib.crc32(data[:-2], crc), size + chunk
            if keep_body:
                kept.append(data[:-2])
    else:
        data = await reader.readexactly(int(headers.get("content-length", "0")))
        wire += len(data)
        crc, size = zlib.crc32(data), len(data)
        kept = [data] if keep_body else []
    if keep_body and headers.get("content-encoding") == "gzip":
        kept = [gzip.decompress(b"".join(kept))]
    return Answer(status, wire, crc, size, b"".join(kept))


def request_bytes(host: str, path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: edition-load\r\nAccept: */*\r\n"
        "Accept-Encoding: gzip, deflate, br\r\nAccept-Language: fr,en;q=0.8\r\nConnection: keep-alive\r\n\r\n"
    ).encode()


async def fetch(host: str, port: int, path: str, keep_body: bool = False) -> Answer:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request_bytes(host, path))
        return await read_answer(reader, keep_body)
    finally:
        writer.close()


async def expected_answers(url: str, files: dict[str, Path]) -> dict[str, Answer]:
    """One checked fetch per path before the run: 200, and the body (gzip inflated) is the file's bytes.
    The run then compares every answer's size and crc32 with these."""
    host, port = url.removeprefix("http://").split(":")
    expected = {}
    for path, file in files.items():
        answer = await fetch(host, int(port), path, keep_body=True)
        raw = file.read_bytes()
        if answer.status != 200 or answer.body != raw:
            raise RuntimeError(f"{path}: status {answer.status}, body {'equal' if answer.body == raw else 'differs'} from {file}")
        answer.body = b""
        expected[path] = answer
    return expected


async def connection_worker(host: str, port: int, paths: list[str], expected: dict[str, Answer], student: Student) -> None:
    """One keep-alive connection fetching paths from the student's shared list until it is empty."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while paths:
            path = paths.pop(0)
            writer.write(request_bytes(host, path))
            answer = await read_answer(reader)
            student.requests += 1
            student.wire_bytes += answer.wire_bytes
            want = expected[path]
            if (answer.status, answer.body_bytes, answer.body_crc) != (want.status, want.body_bytes, want.body_crc):
                student.errors.append(f"{path}: status {answer.status}, {answer.body_bytes} bytes (expected {want.body_bytes})")
    finally:
        writer.close()


async def one_student(url: str, first: str, rest: list[str], expected: dict[str, Answer]) -> Student:
    """A browser's first visit: `first` (index.html) on one connection, then the rest over up to 6."""
    host, port = url.removeprefix("http://").split(":")
    student = Student()
    started = time.perf_counter()
    try:
        await asyncio.wait_for(connection_worker(host, int(port), [first], expected, student), TIMEOUT_S)
        queue = list(rest)
        workers = [connection_worker(host, int(port), queue, expected, student) for _ in range(min(CONNECTIONS_PER_STUDENT, len(rest)))]
        await asyncio.wait_for(asyncio.gather(*workers), TIMEOUT_S)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError) as e:
        student.errors.append(f"{type(e).__name__}: {e}")
    student.seconds = time.perf_counter() - started
    return student


async def hall_of(
    url: str, first: str, rest: list[str], expected: dict[str, Answer], args: argparse.Namespace
) -> tuple[list[Student], float]:
    """`args.students` students arriving evenly over `args.arrive_s`, at most `args.concurrency` at once."""
    gate = asyncio.Semaphore(args.concurrency)
    start = time.perf_counter()

    async def arrive(i: int) -> Student:
        await asyncio.sleep(start + i * args.arrive_s / args.students - time.perf_counter())
        async with gate:
            return await one_student(url, first, rest, expected)

    students = await asyncio.gather(*(arrive(i) for i in range(args.students)))
    return list(students), time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def report(name: str, students: list[Student], wall_s: float) -> list[str]:
    seconds = [s.seconds for s in students]
    wire = [s.wire_bytes for s in students]
    errors = [e for s in students for e in s.errors]
    requests = sum(s.requests for s in students)
    lines = [
        f"{name}: {len(students)} students, {sum(1 for s in students if s.errors)} with an error, {len(errors)} errors",
        f"  per full fetch: p50 {percentile(seconds, 50):.3f} s, p95 {percentile(seconds, 95):.3f} s, max {max(seconds):.3f} s",
        f"  on the wire per student: {sum(wire) / len(wire) / 1e6:.3f} MB (min {min(wire) / 1e6:.3f}, max {max(wire) / 1e6:.3f})",
        f"  total: {sum(wire) / 1e6:.1f} MB, {requests} requests in {wall_s:.2f} s: {requests / wall_s:.0f} requests/s, {sum(wire) / wall_s / 1e6:.1f} MB/s",
    ]
    lines += [f"  error: {e}" for e in errors[:10]]
    return lines


def export_edition(model: str, lang: str, out: Path) -> None:
    """`vae-explorer share --model NAME --out DIR --lang LANG` (the console script of this environment)."""
    cli = Path(sys.executable).parent / "vae-explorer"
    command = [str(cli) if cli.exists() else "vae-explorer", "share", "--model", model, "--out", str(out), "--lang", lang]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


def site_files(folder: Path, prefix: str) -> dict[str, Path]:
    """URL path -> file for every file of a served folder, index.html first (as its folder's URL); a NAME.gz
    beside NAME is nginx's gzip_static copy of NAME, never asked for by itself."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not (p.suffix == ".gz" and p.with_suffix("").exists()))
    index = [p for p in files if p == folder / "index.html"]
    return {
        (prefix if p.name == "index.html" and p in index else prefix + p.relative_to(folder).as_posix()): p
        for p in index + [p for p in files if p not in index]
    }


def prepare(args: argparse.Namespace, root: Path) -> tuple[str, Path]:
    """The editions folder nginx serves: the edition (exported now, or copied) and the reference runtime."""
    missing = [p for p in [*RUNTIME, BUNDLE] if not p.exists()]
    if missing:
        raise SystemExit(f"the dashboard's runtime is missing ({', '.join(map(str, missing))}): bash scripts/setup.sh")
    if args.edition:
        source = Path(args.edition)
        if not (source / "index.html").exists():
            raise SystemExit(f"{source} is not an exported edition (no index.html)")
        name = source.resolve().name
        shutil.copytree(source, root / name)
    else:
        name = args.model
        export_edition(args.model, args.lang, root / name)
    runtime = root / "dashboard-runtime"
    runtime.mkdir()
    for p in [*RUNTIME, BUNDLE]:
        shutil.copy(p, runtime / p.name)
    readable_by_nginx(root)
    return name, runtime


def describe(files: dict[str, Path], expected: dict[str, Answer]) -> list[str]:
    return [
        f"    {path}: {file.stat().st_size / 1e3:.1f} kB, {expected[path].wire_bytes / 1e3:.1f} kB on the wire"
        for path, file in files.items()
    ]


async def measure(url: str, name: str, args: argparse.Namespace) -> tuple[list[str], int]:
    edition = site_files(Path(args.editions_root) / name, f"/editions/{name}/")
    reference = site_files(Path(args.editions_root) / "dashboard-runtime", "/editions/dashboard-runtime/")
    reference = {"/editions/dashboard-runtime/live.mjs": reference.pop("/editions/dashboard-runtime/live.mjs"), **reference}
    lines, errors = [], 0
    for title, files in [(f"edition {name}", edition), ("reference: the dashboard's former runtime (onnxruntime-web) + bundle", reference)]:
        expected = await expected_answers(url, files)
        paths = list(files)
        students, wall_s = await hall_of(url, paths[0], paths[1:], expected, args)
        errors += sum(len(s.errors) for s in students)
        lines += [*report(title, students, wall_s), f"  {len(files)} files:", *describe(files, expected), ""]
    return lines, errors


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="export this model's edition first (vae-explorer share)")
    source.add_argument("--edition", help="an exported edition's folder")
    p.add_argument("--lang", default="fr", choices=["fr", "en"])
    p.add_argument("--students", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=200, help="students fetching at the same moment, at most")
    p.add_argument("--arrive-s", type=float, default=3.0, help="all students arrive within this many seconds")
    p.add_argument("--log", default=str(REPO / "logs" / "edition_load.txt"))
    return p


def main() -> None:
    args = parser().parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 200 students x 6 connections
    with tempfile.TemporaryDirectory(prefix="edition-load-") as tmp:
        root = Path(tmp) / "editions"
        root.mkdir()
        name, _ = prepare(args, root)
        args.editions_root = str(root)
        with lecture_hall(0, env={"EDITIONS_DIR": str(root)}) as hall:
            lines, errors = asyncio.run(measure(hall.url, name, args))
    version = subprocess.run([nginx_binary() or "nginx", "-v"], capture_output=True, text=True).stderr.strip()
    head = [
        f"edition_load: {args.students} students, at most {args.concurrency} at once, arriving within {args.arrive_s} s,",
        f"  a browser's first visit (index.html, then every file over up to {CONNECTIONS_PER_STUDENT} keep-alive connections, gzip accepted)",
        f"  {version}, scripts/serve_replicas.sh 0 (editions only); client: one asyncio process on the same machine",
        f"  {platform.node()}, {platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} CPUs (load average {os.getloadavg()[0]:.1f}: other jobs share them), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
    ]
    text = "\n".join(head + lines)
    print(text)
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    Path(args.log).write_text(text + "\n")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
