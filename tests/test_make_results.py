"""scripts/make_results.py: how several seeds' records become one target row."""

import importlib.util
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "make_results.py"


@pytest.fixture(scope="module")
def make_results():
    spec = importlib.util.spec_from_file_location("make_results", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_run_keeps_its_metrics(make_results):
    record = {"modes_captured": 8, "high_quality_fraction": 0.93, "seconds_per_run": 12.0}
    assert make_results._combined([record]) is record


def test_several_runs_are_judged_on_the_mean_with_each_value_kept(make_results):
    records = [{"class_coverage": 10, "class_kl": kl, "frechet_distance": 50.0} for kl in (0.02, 0.04, 0.06)]
    combined = make_results._combined(records)
    assert combined["class_kl"] == pytest.approx(0.04)
    assert combined["class_kl_per_run"] == [0.02, 0.04, 0.06]
    assert "frechet_distance" not in combined  # only headline numbers are combined


def test_dcgan_target_needs_every_seed_at_ten_classes_and_the_mean_kl(make_results):
    runs, _, met = make_results.TARGETS["dcgan"]
    assert len(runs) == 5 and all(run in make_results.RUN_TABLE for run in runs)
    good = [{"class_coverage": 10, "class_kl": 0.04} for _ in runs]
    assert met(make_results._combined(good))
    one_seed_short = good[:-1] + [{"class_coverage": 9, "class_kl": 0.04}]
    assert not met(make_results._combined(one_seed_short))
    mean_too_high = good[:-1] + [{"class_coverage": 10, "class_kl": 0.1}]
    assert not met(make_results._combined(mean_too_high))


def test_an_undefined_reverse_kl_says_why(make_results):
    assert make_results._format(float("nan"), "ring label smoothing reverse KL") == "nan (no high-quality sample)"
    assert make_results._format(0.1234, "reverse_kl") == "0.123"
    assert make_results._format(float("nan"), "class_kl") == "nan"
