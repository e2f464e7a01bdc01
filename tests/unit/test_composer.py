"""The face composer's breeding engine: convergence, diversity, undo, replay, constraints."""

import json

import numpy as np
import pytest

from tests.conftest import MODELS_DIR
from vae.analysis.composer import MIN_STEP, Composer, mean_pairwise_distance, rank_weights
from vae.artifacts.attributes import DIRECTIONS_FILE, load_directions


def test_first_generation_is_seeded_prior_samples():
    a, b = Composer(64, 16, seed=3), Composer(64, 16, seed=3)
    assert a.current.shape == (16, 64) and a.current.dtype == np.float32 and a.generation == 0
    np.testing.assert_array_equal(a.current, b.current)
    assert not np.array_equal(a.current, Composer(64, 16, seed=4).current)
    assert 0.6 < a.current.std() < 1.0  # temperature 0.8
    with pytest.raises(ValueError):
        a.current[0, 0] = 1.0  # read-only: history cannot be altered behind the engine's back
    with pytest.raises(ValueError):
        Composer(8, population=1)


def test_breeding_moves_toward_the_picks_and_keeps_diversity():
    c = Composer(64, 16, seed=0)
    old = c.current.copy()
    picks = [2, 7]
    target = old[picks].mean(0)
    new = c.breed(picks)
    assert c.generation == 1 and new.shape == old.shape
    np.testing.assert_allclose(new[0], target, atol=1e-6)  # the elite is the picks' mean
    assert np.linalg.norm(new.mean(0) - target) < 0.5 * np.linalg.norm(old.mean(0) - target)
    assert np.linalg.norm(new - target, axis=1).mean() < np.linalg.norm(old - target, axis=1).mean()
    assert mean_pairwise_distance(new) > 0.5
    assert mean_pairwise_distance(new) < mean_pairwise_distance(old)  # converging
    # children take each coordinate from one of the picks, then mutate by a small step
    residual = np.minimum(np.abs(new[1:] - old[2]), np.abs(new[1:] - old[7]))
    assert np.median(residual) < 2 * c.step_size(0)


def test_steps_shrink_as_the_session_converges():
    c = Composer(32, 9, seed=1)
    steps, spreads = [], []
    for _ in range(12):
        steps.append(c.step_size())
        c.breed([0, 1])
        spreads.append(mean_pairwise_distance(c.current))
    assert all(a >= b for a, b in zip(steps, steps[1:])) and steps[-1] >= MIN_STEP
    assert spreads[-1] < spreads[0] and spreads[-1] > 0


def test_single_pick_breeds_mutations_of_it():
    c = Composer(16, 12, seed=5)
    picked = c.current[4].copy()
    new = c.breed([4])
    np.testing.assert_array_equal(new[0], picked)
    assert (new[1:] - picked).std() == pytest.approx(c.step_size(0), rel=0.2)


def test_undo_restores_the_previous_generation_exactly():
    c = Composer(64, 16, seed=9)
    first = c.current.copy()
    second = c.breed([0, 3]).copy()
    c.breed([1, 2, 5])
    assert c.undo() and np.array_equal(c.current, second) and c.generation == 1
    assert c.undo() and np.array_equal(c.current, first) and c.generation == 0
    assert not c.undo() and np.array_equal(c.current, first)
    assert np.array_equal(c.breed([0, 3]), second)  # the same picks breed the same generation again


def test_seed_and_picks_replay_a_session_exactly():
    picks = [[0, 5], [3], [1, 2, 8], [0, 15]]
    a = Composer(64, 16, seed=42)
    for p in picks:
        a.breed(p)
    b = Composer(64, 16, seed=42)
    for p in picks:
        b.breed(p)
    for ga, gb in zip(a.history, b.history):
        assert np.array_equal(ga.codes, gb.codes) and ga.parents == gb.parents
    log = json.loads(json.dumps(a.log()))  # survives a JSON export
    replayed = Composer.replay(log)
    assert all(np.array_equal(x.codes, y.codes) for x, y in zip(a.history, replayed.history))
    assert len(a.picks()) == 4 and np.array_equal(a.picks()[0], a.history[0].codes[[0, 5]])
    other = Composer(64, 16, seed=43)
    for p in picks:
        other.breed(p)
    assert not np.array_equal(other.current, a.current)


def test_restart_and_start_from_a_code():
    c = Composer(64, 16, seed=1)
    c.breed([0, 1])
    code = np.linspace(-1, 1, 64).astype(np.float32)
    c.restart(seed=2, start=code)
    assert c.generation == 0 and c.seed == 2
    np.testing.assert_array_equal(c.current[0], code)
    offsets = c.current[1:] - code
    assert 0 < np.abs(offsets).mean() < 1.0 and mean_pairwise_distance(c.current) > 0
    replayed = Composer.replay(json.loads(json.dumps(c.log())))
    np.testing.assert_array_equal(replayed.current, c.current)
    c.restart(seed=2)
    np.testing.assert_array_equal(c.current, Composer(64, 16, seed=2).current)


def test_bad_picks_are_refused():
    c = Composer(8, 9, seed=0)
    with pytest.raises(ValueError):
        c.breed([])
    with pytest.raises(IndexError):
        c.breed([9])
    with pytest.raises(ValueError, match="directions"):
        c.breed([0], {"Male": 1.0})
    assert c.generation == 0


@pytest.mark.skipif(not (MODELS_DIR / "celeba-z64" / DIRECTIONS_FILE).exists(), reason="celeba-z64 directions not built yet")
@pytest.mark.parametrize("attribute", ["Male", "Eyeglasses", "Blond_Hair"])
def test_constraints_move_scores_the_asked_way(attribute):
    directions = load_directions(MODELS_DIR / "celeba-z64")
    scores = {}
    for level in (-1.0, 0.0, 1.0):
        c = Composer(64, 16, seed=7)
        c.breed([0, 1, 2], {attribute: level} if level else None, directions)
        scores[level] = directions.score(c.current, attribute)
    assert scores[1.0].mean() > scores[0.0].mean() + 0.1 and scores[-1.0].mean() < scores[0.0].mean() - 0.1
    assert (scores[1.0] > 0.5).mean() > 0.8 and (scores[-1.0] < 0.5).mean() > 0.8
    c = Composer(64, 16, seed=7)
    c.breed([0, 1], {attribute: 1.0}, directions)
    c.breed([3, 4], {attribute: 1.0}, directions)
    assert Composer.replay(json.loads(json.dumps(c.log())), directions).current.tobytes() == c.current.tobytes()


def test_a_learned_density_gives_the_first_population_and_the_restarts():
    """With a sampler (a learned density's), the first population is its draw; a restart draws
    again from it; the log says so, and a replay needs the same sampler."""
    calls = []

    def sampler(n, seed, temperature):
        calls.append((n, seed, temperature))
        return np.random.default_rng(seed).standard_normal((n, 4)) * 0.1 + 3.0  # far from the prior

    c = Composer(4, 9, seed=5, temperature=0.7, sampler=sampler, source="learned")
    assert c.current.shape == (9, 4) and abs(c.current.mean() - 3.0) < 0.2
    assert calls[0][0] == 9 and calls[0][2] == 0.7
    first = c.current.copy()
    assert np.array_equal(Composer(4, 9, seed=5, temperature=0.7, sampler=sampler, source="learned").current, first)
    c.breed([0, 2])
    log = json.loads(json.dumps(c.log()))
    assert log["source"] == "learned"
    with pytest.raises(ValueError, match="learned density"):
        Composer.replay(log)
    assert Composer.replay(log, sampler=sampler).current.tobytes() == c.current.tobytes()
    c.restart(6)
    assert not np.array_equal(c.current, first) and abs(c.current.mean() - 3.0) < 0.2
    assert Composer(4, 9, seed=5).log()["source"] == "prior"


def _witness_run(search: str, target: np.ndarray, generations: int, seed: int = 0) -> list[float]:
    """A noiseless synthetic witness: picks the 4 of 16 nearest a hidden code; the elite's distance to it per generation."""
    c = Composer(len(target), 16, seed=seed, search=search)
    distances = []
    for _ in range(generations):
        order = np.argsort(np.linalg.norm(c.current - target, axis=1))
        c.breed(order[:4].tolist())
        distances.append(float(np.linalg.norm(c.current[0] - target)))
    return distances


def test_cma_search_converges_and_replays_bit_for_bit():
    target = np.random.default_rng(1).standard_normal(16) * 0.8
    distances = _witness_run("cma", target, 15)
    start = float(np.linalg.norm(Composer(16, 16, seed=0).current.mean(0) - target))
    assert distances[-1] < 0.35 * start
    c = Composer(16, 16, seed=5, search="cma")
    for picks in ([0, 1, 2, 3], [4, 5], [1, 9, 12]):
        c.breed(picks)
    log = json.loads(json.dumps(c.log()))
    assert log["search"] == "cma"
    np.testing.assert_array_equal(Composer.replay(log).current, c.current)
    step = c.history[-1].cma
    assert step is not None and step.breeds == 3 and step.sigma >= MIN_STEP
    c.undo()
    assert c.history[-1].cma is not None and c.history[-1].cma.breeds == 2  # undo restores the state too
    with pytest.raises(ValueError, match="unknown search"):
        Composer(16, 16, search="annealing")


def test_cma_step_grows_while_picks_keep_moving_one_way_and_not_when_they_are_random():
    far = np.full(8, 6.0)  # far outside the first population: the picks keep moving toward it
    c = Composer(8, 16, seed=2, search="cma")
    for _ in range(6):
        c.breed(np.argsort(np.linalg.norm(c.current - far, axis=1))[:4].tolist())
    growing = [g.cma.sigma for g in c.history[1:]]
    d = Composer(8, 16, seed=2, search="cma")
    rng = np.random.default_rng(0)
    for _ in range(6):
        d.breed(rng.choice(16, 4, replace=False).tolist())  # picks at random: no direction
    random = [g.cma.sigma for g in d.history[1:]]
    assert growing[-1] > 1.6 * growing[0] and all(b > a for a, b in zip(growing, growing[1:]))
    assert random[-1] < 1.3 * random[0]


def test_rejected_faces_are_not_shown_again_and_a_rejecting_session_replays():
    c = Composer(32, 16, seed=7)
    rejected = [0, 1, 2, 3, 4, 5]
    kept = [i for i in range(16) if i not in rejected]
    refused = c.current[rejected].astype(np.float64)
    parents = c.current[kept].astype(np.float64)
    new = c.breed(kept, rejected=rejected).astype(np.float64)

    def nearer_rejected(codes: np.ndarray) -> int:
        to_rejected = np.linalg.norm(codes[:, None] - refused[None], axis=2).min(1)
        to_parents = np.linalg.norm(codes[:, None] - parents[None], axis=2).min(1)
        return int((to_rejected < to_parents).sum())

    plain = Composer(32, 16, seed=7).breed(kept).astype(np.float64)  # the same breed, nothing rejected
    assert nearer_rejected(new) < nearer_rejected(plain) or nearer_rejected(plain) == 0
    assert nearer_rejected(new) == 0 or nearer_rejected(new) < 3
    assert c.history[-1].rejected == tuple(rejected)
    log = json.loads(json.dumps(c.log()))
    assert log["breeds"][0]["rejected"] == rejected
    np.testing.assert_array_equal(Composer.replay(log).current, c.current)
    with pytest.raises(IndexError):
        c.breed([0], rejected=[99])


def test_constraints_can_hold_from_the_first_generation():
    dirs = load_directions(MODELS_DIR / "celeba-z64")
    c = Composer(64, 16, seed=3)
    free = c.current.copy()
    levels = {"Male": 1.0, "Eyeglasses": -1.0}
    first = c.restart(constraints=levels, directions=dirs)
    assert (dirs.score(first, "Male") > 0.5).all() and (dirs.score(free, "Male") > 0.5).mean() < 0.9
    moved_free = np.linalg.norm(dirs.constrain(free, levels) - free)
    assert np.linalg.norm(dirs.constrain(first, levels) - first) < 0.1 * moved_free  # already (nearly) within both
    log = json.loads(json.dumps(c.log()))
    assert log["first_constraints"] == {"Male": 1.0, "Eyeglasses": -1.0}
    np.testing.assert_array_equal(Composer.replay(log, directions=dirs).current, first)
    with pytest.raises(ValueError, match="directions"):
        c.restart(constraints={"Male": 1.0})


def test_ranked_picks_weigh_the_first_most_and_a_ranked_session_replays():
    """Picks given in order (most alike first): CMA-ES's log weights, so the elite and the next mean lie
    nearer the first pick than the picks' plain mean does; the order is logged and replayed bit for bit."""
    weights = rank_weights(4)
    assert np.isclose(weights.sum(), 1) and all(a > b > 0 for a, b in zip(weights, weights[1:]))
    ranked, plain = Composer(16, 16, seed=3, search="cma"), Composer(16, 16, seed=3, search="cma")
    first = ranked.current[9].astype(np.float64)
    ranked.breed([9, 2, 14, 5], ranked=True)
    plain.breed([9, 2, 14, 5])
    assert ranked.history[-1].parents == (9, 2, 14, 5) and plain.history[-1].parents == (2, 5, 9, 14)
    assert np.linalg.norm(ranked.current[0] - first) < np.linalg.norm(plain.current[0] - first)
    np.testing.assert_allclose(ranked.current[0], weights @ ranked.history[0].codes[[9, 2, 14, 5]].astype(np.float64), atol=1e-6)
    ranked.breed([3, 0], ranked=True)
    log = json.loads(json.dumps(ranked.log()))
    assert [b.get("ranked") for b in log["breeds"]] == [True, True]
    np.testing.assert_array_equal(Composer.replay(log).current, ranked.current)
    reordered = Composer(16, 16, seed=3, search="cma")
    reordered.breed([5, 14, 2, 9], ranked=True)  # the same picks in another order: another generation
    assert not np.array_equal(reordered.current, Composer.replay(log | {"breeds": log["breeds"][:1]}).current)
