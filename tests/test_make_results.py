"""scripts/make_results.py: per-seed records become the results page's tables, targets and one-run intervals."""

import importlib.util
import json
import math
import pathlib

import numpy as np
import pytest

from minigan import data, metrics

# scripts/make_results.py is the page writer of the machine that makes the results, on NumPy: it reads the
# .npz records with numpy and its fabricated records here are numpy arrays
pytestmark = pytest.mark.numpy_only

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "make_results.py"


@pytest.fixture()
def mr(tmp_path, monkeypatch):
    """The script, writing its records and page under tmp_path."""
    spec = importlib.util.spec_from_file_location("make_results", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "RECORDS", tmp_path / "results")
    monkeypatch.setattr(module, "PAGE", tmp_path / "results.md")
    return module


def write_record(mr, name, seed, metrics_, seconds=10.0):
    folder = mr.RECORDS / name
    folder.mkdir(parents=True, exist_ok=True)
    record = {"run": name, "seed": seed, "command": mr.command(name, seed), "metrics": metrics_,
              "seconds": seconds, "pictures": [], "machine": {"cpu": "test CPU", "numpy": "x", "blas_threads": "1"}}
    mr.record_path(name, seed).write_text(json.dumps(record))


def ring_samples(seed, modes_used):
    """2,500 points on the ring, spread over the first ``modes_used`` modes (the rest empty)."""
    toy = data.toy_dataset("ring")
    rng = np.random.default_rng(seed)
    centres = np.asarray(toy.modes())[:modes_used]
    return (centres[rng.integers(0, modes_used, 2500)] + toy.std * rng.standard_normal((2500, 2))).astype("float32")


def write_toy_run(mr, seed, modes_used):
    samples = ring_samples(seed, modes_used)
    m = metrics.mode_metrics(samples, data.toy_dataset("ring").modes(), data.toy_dataset("ring").std)
    numbers = {key: m[key] for key in mr.TOY_NUMBERS}
    (mr.RECORDS / "wgan_gp_ring").mkdir(parents=True, exist_ok=True)
    metrics.save_samples(mr.RECORDS / "wgan_gp_ring" / f"seed{seed}.npz", samples, "ring", seed=seed, **numbers)
    write_record(mr, "wgan_gp_ring", seed, {**numbers, "seconds_per_run": 9.0})
    return numbers


def test_the_toys_have_ten_held_out_seeds_and_no_reported_seed_is_a_tuning_seed(mr):
    assert len(mr.TOY_SEEDS) >= 10
    for entry in mr.RUN_TABLE.values():
        assert not set(entry.seeds) & set(mr.BENCH.TUNING_SEEDS)


def test_a_toy_target_needs_every_seed_at_every_mode_not_only_the_mean(mr):
    def met(runs):
        return mr.target_met(mr.TARGETS["wgan_gp_ring"], runs)

    good = [{"modes_captured": 8, "high_quality_fraction": 0.95} for _ in range(10)]
    assert met(good)
    assert not met(good[:-1] + [{"modes_captured": 7, "high_quality_fraction": 0.99}])
    assert not met([{"modes_captured": 8, "high_quality_fraction": 0.89} for _ in range(10)])


def test_dcgan_target_needs_every_seed_at_ten_classes_and_the_mean_kl(mr):
    def met(runs):
        return mr.target_met(mr.TARGETS["dcgan"], runs)

    good = [{"class_coverage": 10, "class_kl": 0.04} for _ in range(5)]
    assert met(good)
    assert not met(good[:-1] + [{"class_coverage": 9, "class_kl": 0.04}])
    assert not met(good[:-1] + [{"class_coverage": 10, "class_kl": 0.1}])


def test_spread_gives_mean_se_and_a_one_run_interval_clipped_to_what_the_number_can_be(mr):
    s = mr.spread([0.90, 0.94, 0.98], "high_quality_fraction")
    assert s["mean"] == pytest.approx(0.94)
    assert s["sd"] == pytest.approx(0.04)
    assert s["se"] == pytest.approx(0.04 / math.sqrt(3))
    assert s["low"] == pytest.approx(0.86)
    assert s["high"] == 1.0                      # 1.02 is not a fraction
    assert (s["min"], s["max"]) == (0.90, 0.98)


def test_an_undefined_reverse_kl_is_left_out_of_the_mean_and_the_cell_says_so(mr):
    s = mr.spread([0.1, math.nan, 0.3], "reverse_kl")
    assert (s["n"], s["of"]) == (2, 3) and s["mean"] == pytest.approx(0.2)
    assert mr._cell(s, 1, ".3f") == "0.200 ± 0.100 (2 of 3 seeds¹)"
    assert mr._cell(mr.spread([math.nan, math.nan], "reverse_kl"), 1, ".3f") == "undefined on every seed¹"
    assert mr._format(math.nan, "reverse_kl") == "nan (no high-quality sample)"
    assert mr._format(math.nan, "class_kl") == "nan"


def test_the_page_has_a_column_per_number_and_the_samples_rescore_to_the_records(mr):
    runs = [write_toy_run(mr, seed, modes_used) for seed, modes_used in zip(mr.TOY_SEEDS[:3], (8, 8, 6))]
    mr.write_page()
    page = mr.PAGE.read_text()
    head = ("| run | seeds | modes | strict modes | high quality (%) | reverse KL "
            "| seeds with every mode (lenient / strict)")
    assert head in page
    row = next(line for line in page.splitlines() if line.startswith("| [wgan_gp_ring]") and "| 1000-1002 |" in line)
    modes = [r["modes_captured"] for r in runs]
    assert f"| {np.mean(modes):.1f} ± {np.std(modes, ddof=1) / math.sqrt(3):.1f} |" in row
    assert "| 2 / 2 of 3 |" in row                # the seed spread over 6 modes misses two
    assert (mr.RECORDS / "wgan_gp_ring" / "points_all_seeds.png").exists()
    assert mr.rescore() == []


def test_rescore_finds_a_record_that_its_samples_do_not_give(mr):
    write_toy_run(mr, 1000, 8)
    path = mr.record_path("wgan_gp_ring", 1000)
    record = json.loads(path.read_text())
    record["metrics"]["modes_captured"] = 7
    path.write_text(json.dumps(record))
    assert mr.rescore() == ["wgan_gp_ring seed 1000 modes_captured: record 7, samples 8"]


def test_a_seed_table_escapes_the_pipes_in_a_number_s_name(mr):
    lines = mr.per_seed_table([{"seed": 1000, "seconds": 3.0, "metrics": {"max |D(x) - 1/2|": 0.25}}])
    assert lines[0] == "| seed | max \\|D(x) - 1/2\\| | wall time |"
    assert lines[2] == "| 1000 | 0.25 | 3 s |"


def test_readme_headline_block_is_what_the_records_give(mr, monkeypatch):
    """README's headline numbers cannot drift from docs/results/: the block is regenerated and must match."""
    monkeypatch.setattr(mr, "RECORDS", SCRIPT.parent.parent / "docs" / "results")
    text = mr.README.read_text()
    assert mr.with_headline(text) == text, "README's headline numbers differ: run scripts/make_results.py --page-only"


def test_the_headline_block_is_rewritten_between_its_markers_only(mr):
    write_toy_run(mr, 1000, 8)
    write_toy_run(mr, 1001, 8)
    text = f"intro\n{mr.HEADLINE_BEGIN}\nold numbers\n{mr.HEADLINE_END}\nafter\n"
    new = mr.with_headline(text)
    assert new.startswith(f"intro\n{mr.HEADLINE_BEGIN}\n| run |") and new.endswith(f"{mr.HEADLINE_END}\nafter\n")
    assert "old numbers" not in new and "| modes | 8.0 ± 0.0 |" in new
    with pytest.raises(SystemExit, match="no headline block"):
        mr.with_headline("a README without the markers")


def test_a_mode_count_interval_stops_at_the_toy_s_number_of_modes(mr):
    s = mr.spread([17, 25, 25, 25], "modes_captured", mr.most_modes("wgan_gp_grid"))
    assert s["high"] == 25 and s["low"] < 17
    assert mr.most_modes("dcgan") is None
