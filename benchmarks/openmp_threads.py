"""One student at a time, against a server with one OpenMP thread (the shipped setting,
ui.serve.launcher.one_openmp_thread) and one with two (what every script run got before), alternated:
the server's answer time per interaction (BackMsg → script_finished, benchmarks/protocol_client.py).

    python -m benchmarks.openmp_threads --interactions 20 --rounds 2

It checks that taking torch's second OpenMP thread away from the server costs a single student
nothing (the capacity side is in benchmarks/lecture_hall.py and benchmarks/client_fidelity.py).
Log: logs/openmp_threads.txt (or --log).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
from pathlib import Path

from benchmarks.protocol_client import SCENES, Session, random_move
from harness.browser import streamlit_server

REPO = Path(__file__).resolve().parent.parent


async def scene(url: str, name: str, n: int, seed: int) -> list[float]:
    """n random moves of scene `name` (protocol_client.SCENES) in one session: seconds per answer."""
    page, query, keys = SCENES[name]
    session, rng, answers = Session(url, page, query), random.Random(seed), []
    await session.open()
    try:
        for _ in range(n):
            key, value = random_move(session, keys, rng)
            run = await session.set(key, value)
            if run.exceptions:
                raise RuntimeError(f"{name}: {run.exceptions}")
            answers.append(run.seconds)
            await asyncio.sleep(0.3)
    finally:
        await session.close()
    return answers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--interactions", type=int, default=20, help="per scene, per round, per setting")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--scenes", default="interpolation,composer,generate,manifold")
    ap.add_argument("--log", type=Path, default=REPO / "logs" / "openmp_threads.txt")
    args = ap.parse_args()
    scenes = args.scenes.split(",")
    answers: dict[tuple[str, str], list[float]] = {}
    for r in range(args.rounds):  # alternate, so a drift of the machine's load hits both alike
        for threads in ("1", "2"):
            with streamlit_server(env={"OMP_NUM_THREADS": threads}) as (url, _):
                for name in scenes:
                    asyncio.run(scene(url, name, 4, seed=99))  # the caches warm
                    answers.setdefault((name, threads), []).extend(asyncio.run(scene(url, name, args.interactions, seed=r)))
    lines = [
        "one student at a time: server answer per interaction, OMP_NUM_THREADS=1 (shipped) vs 2 (before)",
        f"machine: {platform.node()}, {os.cpu_count()} CPUs; {args.rounds} rounds x {args.interactions} interactions per scene and setting",
        f"{'scene':<14}{'1 thread: median':>17}{'p90':>9}{'2 threads: median':>19}{'p90':>9}",
    ]
    for name in scenes:
        cells = []
        for threads in ("1", "2"):
            xs = sorted(answers[(name, threads)])
            cells.append(f"{statistics.median(xs) * 1000:>9.1f} ms{xs[int(0.9 * len(xs))] * 1000:>6.1f} ms")
        lines.append(f"{name:<14}{cells[0]:>17}  {cells[1]:>17}")
    text = "\n".join(lines)
    print(text)
    args.log.parent.mkdir(exist_ok=True)
    args.log.write_text(text + "\n")


if __name__ == "__main__":
    main()
