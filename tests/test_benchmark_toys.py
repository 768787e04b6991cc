"""The strict coverage count, the saved samples, and the like-for-like harness (scripts/benchmark_toys.py)."""

import importlib.util
import json
import math
import pathlib

import numpy as np
import pytest

import minigan as mg
from minigan import backend, data, metrics
from minigan.metrics import MetricsError

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load_harness():
    spec = importlib.util.spec_from_file_location("benchmark_toys", ROOT / "scripts" / "benchmark_toys.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bt = load_harness()


# ----------------------------------------------------------------- the strict rule


def test_strict_threshold_is_a_fifth_of_a_perfect_samplers_share():
    hq = 1 - math.exp(-9 / 2)
    assert metrics.strict_mode_threshold(2500, 25) == pytest.approx(0.2 * 2500 * hq / 25)
    assert metrics.strict_mode_threshold(2500, 25) == pytest.approx(19.78, abs=0.01)
    assert metrics.strict_mode_threshold(2500, 8) == pytest.approx(61.8, abs=0.1)


def test_strict_rule_counts_a_mode_from_its_threshold_on():
    modes = data.grid_modes()
    per_mode = [20] * 5 + [19] * 5 + [1] * 5 + [0] * 5 + [100] * 5   # 19.78 is the bar on 2,500 samples
    rows = [modes[k] for k, count in enumerate(per_mode) for _ in range(count)]
    far = [[100.0, 100.0]] * (2500 - len(rows))                         # not high-quality anywhere
    result = metrics.mode_metrics(backend.asarray(rows + far, dtype="float64"), modes, 0.05)
    assert result["modes_captured"] == 20                # the lenient rule: one sample is enough
    assert result["modes_captured_strict"] == 10         # the 20s and the 100s
    assert result["mode_counts"] == per_mode


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_uniform_noise_on_the_grid_captures_most_modes_leniently_and_none_strictly(seed):
    """The issue's finding: the papers' rule counts ~19/25 modes for uniform noise; the strict rule counts none."""
    noise = np.random.default_rng(seed).uniform(-5, 5, (2500, 2))
    result = metrics.mode_metrics(backend.asarray(noise), data.grid_modes(), 0.05)
    assert result["modes_captured"] >= 16                # lenient: "most of the modes", from pure noise
    assert result["modes_captured_strict"] == 0
    assert result["high_quality_fraction"] < 0.03        # ~43 of 2,500 points lie within 0.15 of a mode


def test_uniform_noise_lenient_mean_over_20_draws_is_about_20_of_25():
    counts = [metrics.mode_metrics(backend.asarray(np.random.default_rng(s).uniform(-5, 5, (2500, 2))),
                                   data.grid_modes(), 0.05) for s in range(20)]
    lenient = sum(c["modes_captured"] for c in counts) / 20
    assert 18 <= lenient <= 23 and all(c["modes_captured_strict"] == 0 for c in counts)


@pytest.mark.parametrize("name, k", [("ring", 8), ("grid", 25)])
def test_a_perfect_sampler_captures_every_mode_strictly(name, k):
    backend.manual_seed(5)
    result = metrics.evaluate_2d_generator(data.toy_dataset(name).sample, name)
    assert result["modes_captured_strict"] == k


def test_a_sampler_on_half_the_ring_with_a_thin_trail_elsewhere_is_caught_by_the_strict_rule():
    backend.manual_seed(6)
    modes = data.ring_modes()
    main = modes[backend.randint(0, 4, (2470,))] + 0.02 * backend.randn(2470, 2)   # modes 0-3, ~617 each
    trail = modes[4 + backend.randint(0, 4, (30,))] + 0.02 * backend.randn(30, 2)   # ~8 each at modes 4-7
    result = metrics.mode_metrics(mg.tensor(backend.xp.concatenate([main, trail])), modes, 0.02)
    assert result["modes_captured"] == 8 and result["modes_captured_strict"] == 4


# ----------------------------------------------------------------- saved samples


def test_saved_samples_rescore_to_the_same_numbers(tmp_path):
    backend.manual_seed(7)
    samples = data.grid_of_gaussians(500)
    original = metrics.mode_metrics(samples, data.grid_modes(), 0.05)
    path = tmp_path / "s.npz"
    metrics.save_samples(path, samples, "grid", seed=3, method="WGAN-GP", modes_captured=original["modes_captured"])
    again = metrics.rescore_samples(path)
    assert {k: again[k] for k in original} == original
    assert again["stored"] == {"std": 0.05, "dataset": "grid", "seed": 3, "method": "WGAN-GP",
                               "modes_captured": original["modes_captured"]}
    raw = np.load(path)                                  # readable without minigan, no pickles
    assert raw["samples"].shape == (500, 2) and raw["modes"].shape == (25, 2)


def test_save_samples_refuses_bad_input_in_one_sentence(tmp_path):
    with pytest.raises(MetricsError, match=r"shape \(N, 2\)"):
        metrics.save_samples(tmp_path / "a.npz", backend.xp.zeros((4, 3)), "ring")
    with pytest.raises(MetricsError, match="number or a string"):
        metrics.save_samples(tmp_path / "a.npz", backend.xp.zeros((4, 2)), "ring", note=[1])
    with pytest.raises(MetricsError, match="toy dataset"):
        metrics.save_samples(tmp_path / "a.npz", backend.xp.zeros((4, 2)), "moons")
    (tmp_path / "text.npz").write_text("not an archive")
    with pytest.raises(MetricsError, match="cannot read samples"):
        metrics.rescore_samples(tmp_path / "text.npz")


# ----------------------------------------------------------------- the harness, at tiny budgets

TINY = ["--steps", "6", "--sharpen-steps", "4", "--batch-size", "16", "--width", "16", "--eval-samples", "200"]


def test_packing_puts_pairs_of_samples_side_by_side():
    mg.manual_seed(0)
    D = bt.Discriminator(8, 2, pack=2)
    x = mg.randn(6, 2)
    assert D(x).shape == (3, 1)
    first = D(x[:2]).item()                              # the pack (x_0, x_1) alone gives the same score
    assert D(x)[0, 0].item() == pytest.approx(first, rel=1e-6)
    assert D.features[0][0].weight.shape == (8, 4)       # R^(2 m) in, m = 2


def test_every_method_writes_its_numbers_and_samples_and_they_rescore(tmp_path):
    bt.main(["run", "--toys", "ring", "--seeds", "0", *TINY, "--out", str(tmp_path)])
    for method in bt.METHODS:
        for name in (method, method + "+sharpen"):
            record = json.loads((tmp_path / "ring" / name / "seed0.json").read_text())
            again = metrics.rescore_samples(tmp_path / "ring" / name / "seed0.npz")
            for key in bt.NUMBERS:
                assert again[key] == record["metrics"][key] or (math.isnan(again[key])
                                                                and math.isnan(record["metrics"][key]))
            assert record["generator_steps"] == (10 if name.endswith("sharpen") else 6)
            assert record["settings"]["batch_size"] == 16 and record["machine"]["cpu"]


def test_rescore_finds_a_record_that_disagrees_with_its_samples(tmp_path):
    bt.main(["run", "--toys", "ring", "--methods", "vanilla", "--seeds", "0", *TINY, "--out", str(tmp_path)])
    assert bt.rescore_all(tmp_path) == ([], 2)
    path = tmp_path / "ring" / "vanilla" / "seed0.json"
    record = json.loads(path.read_text())
    record["metrics"]["modes_captured"] += 1
    path.write_text(json.dumps(record))
    problems, _ = bt.rescore_all(tmp_path)
    assert len(problems) == 1 and "modes_captured" in problems[0]


def test_compare_puts_two_studies_side_by_side_seed_by_seed(tmp_path):
    for name in ("a", "b"):
        bt.main(["run", "--toys", "ring", "--methods", "vanilla", "--seeds", "0", *TINY, "--out", str(tmp_path / name)])
    lines = bt.compare(tmp_path / "a", tmp_path / "b")
    assert lines[2] == "| ring | vanilla GAN | 0 | 1 of 1 | 0 | 0 | 0 | 0 |"     # one machine: the same bits
    assert len(lines) == 4


def test_phase_one_of_a_sharpened_run_is_exactly_a_run_without_sharpening(tmp_path):
    """Measuring between the phases must not touch the training's random stream."""
    bt.main(["run", "--toys", "grid", "--methods", "wgan-gp", "--seeds", "1", *TINY, "--out", str(tmp_path / "a")])
    plain = [*TINY[:2], "--sharpen-steps", "0", *TINY[4:]]
    bt.main(["run", "--toys", "grid", "--methods", "wgan-gp", "--seeds", "1", *plain, "--out", str(tmp_path / "b")])
    a = np.load(tmp_path / "a" / "grid" / "wgan-gp" / "seed1.npz")["samples"]
    b = np.load(tmp_path / "b" / "grid" / "wgan-gp" / "seed1.npz")["samples"]
    assert np.array_equal(a, b)
    assert not (tmp_path / "b" / "grid" / "wgan-gp+sharpen").exists()


def test_a_discrete_code_is_its_own_model_class(tmp_path):
    bt.main(["run", "--toys", "ring", "--methods", "vanilla", "--seeds", "0", *TINY, "--codes", "4",
             "--out", str(tmp_path)])
    assert (tmp_path / "ring" / "vanilla+code4+sharpen" / "seed0.json").exists()
    assert bt.row_label("wgan-gp+code100+sharpen") == "WGAN-GP + 100-way code + sharpen"


def test_summary_has_a_column_per_number_with_standard_errors_and_says_which_ranking_holds(tmp_path):
    bt.main(["run", "--toys", "ring", "--methods", "vanilla", "pacgan2", "--seeds", "0-2", *TINY,
             "--out", str(tmp_path)])
    tables = bt.summary_tables(tmp_path)
    header = next(line for line in tables if line.startswith("| method"))
    for column in ("modes", "strict modes", "high quality", "reverse KL", "seeds with every mode", "wall time"):
        assert column in header
    rows = [line for line in tables if line.startswith("| vanilla GAN |")]
    assert len(rows) == 1 and " 0-2 " in rows[0]
    assert rows[0].count("±") >= 3                       # modes, strict modes, high quality (reverse KL if defined)
    assert len([line for line in tables if line.startswith("| ")]) == 1 + 4      # the header and 4 rows
    ranking = bt.paired_ranking(tmp_path)
    assert any("over" in line and ("holds" in line or "not resolved" in line) for line in ranking)
    page = bt.write_page(tmp_path, tmp_path / "README.md")
    text = page.read_text()
    assert "### ring (8 modes)" in text and (tmp_path / "ring_points.png").exists()


def test_mean_and_standard_error():
    mean, se, n = bt.mean_se([1.0, 2.0, 3.0, math.nan])
    assert (mean, n) == (2.0, 3) and se == pytest.approx(1 / math.sqrt(3))
    assert bt.mean_se([math.nan])[2] == 0


def test_bad_flags_are_refused_before_training(capsys):
    with pytest.raises(SystemExit):
        bt.parse_args(["run", "--methods", "pacgan2", "--batch-size", "15"])
    assert "must be even" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bt.parse_args(["run", "--steps", "0"])
    assert bt.seed_list("1000-1002,7") == [1000, 1001, 1002, 7]


def test_maxout_takes_the_largest_of_its_pieces():
    mg.manual_seed(0)
    layer = bt.Maxout(3, 2, pieces=4)
    x = mg.randn(5, 3)
    pieces = layer.linear(x).numpy().reshape(5, 2, 4)
    assert np.allclose(layer(x).numpy(), pieces.max(axis=2))


def test_pacgans_networks_are_an_option_with_their_own_row_label(tmp_path):
    bt.main(["run", "--toys", "ring", "--methods", "vanilla", "pacgan2", "--seeds", "0", *TINY, "--arch", "pacgan",
             "--out", str(tmp_path)])
    record = json.loads((tmp_path / "ring" / "pacgan2+pacgan-arch+sharpen" / "seed0.json").read_text())
    assert record["settings"]["arch"] == "pacgan"
    assert bt.row_label("pacgan2+pacgan-arch+sharpen") == "PacGAN2 (PacGAN's networks) + sharpen"
    G = bt.pacgan_generator(2)
    assert sum(isinstance(m, mg.nn.BatchNorm1d) for m in G) == 4 and G[0].weight.shape == (400, 2)
