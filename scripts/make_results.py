"""Run every example with its defaults and write docs/results.md (numbers, pictures, wall times).

    python scripts/make_results.py                    # everything (tens of minutes on a 2-core CPU)
    python scripts/make_results.py --only dcgan wgan  # some runs; the others keep their last results
    python scripts/make_results.py --jobs 2           # two runs at a time, one BLAS thread each

Each run writes into runs/results/<run>/; its headline numbers are kept in
docs/results/<run>.json and its key pictures are copied beside them, so the
page can be rebuilt after rerunning any subset.
"""

import argparse
import concurrent.futures
import importlib.util
import json
import math
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUNS = ROOT / "runs" / "results"
PICTURES = ROOT / "docs" / "results"

# run name -> (example script, extra flags, what the numbers mean)
BASELINE = ["--loss", "vanilla", "--codes", "0", "--sharpen-steps", "0", "--steps", "10000", "--lr", "2e-4"]
RUN_TABLE = {
    "vanilla_gan": ("vanilla_gan", [], "Goodfellow MLP GAN on the digits"),
    "dcgan": ("dcgan", [], "DCGAN on the digits"),
    **{f"dcgan_seed{seed}": ("dcgan", ["--seed", str(seed)], f"DCGAN on the digits, seed {seed}")
       for seed in range(1, 5)},
    "cgan": ("cgan", [], "conditional GAN, one row per class"),
    "acgan": ("acgan", [], "auxiliary-classifier GAN"),
    "wgan": ("wgan", [], "WGAN with weight clipping"),
    "wgan_gp_digits": ("wgan_gp", ["--dataset", "digits"], "WGAN-GP on the digits"),
    "wgan_gp_ring": ("wgan_gp", ["--dataset", "ring", "--seeds", "5"],
                     "ring-8: WGAN-GP, then sharpening with the GAN loss (5 seeds)"),
    "wgan_gp_ring_alone": ("wgan_gp", ["--dataset", "ring", "--sharpen-steps", "0", "--steps", "5000", "--lr", "1e-4"],
                           "ring-8: WGAN-GP alone at the paper's lr, about the same wall time"),
    "vanilla_ring": ("wgan_gp", ["--dataset", "ring", *BASELINE, "--seeds", "5"],
                     "ring-8: Goodfellow's GAN, same MLPs (5 seeds)"),
    "wgan_gp_grid": ("wgan_gp", ["--dataset", "grid", "--seeds", "3"],
                     "grid-25: WGAN-GP with a 100-way code, then sharpening (3 seeds)"),
    "vanilla_grid": ("wgan_gp", ["--dataset", "grid", *BASELINE, "--seeds", "5"],
                     "grid-25: Goodfellow's GAN, same MLPs (5 seeds)"),
    "improved_gan": ("improved_gan", [], "Improved-GAN techniques against a plain GAN on ring and grid"),
    "cyclegan": ("cyclegan", [], "CycleGAN between upright and transformed digits"),
    "gan_1d": ("gan_1d", [], "Goodfellow et al. 2014, Figure 1, live"),
}

# the targets of the examples issue: row -> (its runs, the target in words, whether their metrics meet it).
# Several runs are judged on the mean of each headline number; "<number>_per_run" keeps each run's value.
TARGETS = {
    "wgan_gp_ring": (["wgan_gp_ring"], "8/8 modes at >= 90 % high quality",
                     lambda m: m["modes_captured"] >= 8 and m["high_quality_fraction"] >= 0.90),
    "wgan_gp_grid": (["wgan_gp_grid"], "25/25 modes at >= 85 % high quality",
                     lambda m: m["modes_captured"] >= 25 and m["high_quality_fraction"] >= 0.85),
    "dcgan": ([name for name, (script, _, _) in RUN_TABLE.items() if script == "dcgan"],
              "10/10 classes on every seed, class KL <= 0.05 (mean of seeds 0-4)",
              lambda m: min(m["class_coverage_per_run"]) >= 10 and m["class_kl"] <= 0.05),
}


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name):
    script, flags, _ = RUN_TABLE[name]
    out = RUNS / name
    shutil.rmtree(out, ignore_errors=True)   # a fresh run: no old pictures, no checkpoint it would refuse to replace
    start = time.perf_counter()
    result = load_example(script).main(flags + ["--out", str(out), "--quiet"])
    seconds = time.perf_counter() - start
    PICTURES.mkdir(parents=True, exist_ok=True)
    pictures = []
    for path in _key_pictures(result["pictures"]):
        target = PICTURES / f"{name}_{pathlib.Path(path).name}"
        shutil.copyfile(path, target)
        pictures.append(target.name)
    record = {"metrics": _plain(result["metrics"]), "pictures": pictures, "seconds": seconds}
    (PICTURES / f"{name}.json").write_text(json.dumps(record, indent=1))
    return record


def _key_pictures(paths):
    """The last sample grid of each kind and every non-grid picture (plots, GIFs)."""
    chosen = {}
    for path in paths:
        stem = pathlib.Path(path).stem.rstrip("0123456789_")
        chosen[stem] = path  # later pictures of the same kind replace earlier ones
    return list(chosen.values())


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value


def write_page():
    lines = [
        "# Results",
        "",
        "Every example, run with its defaults by `python scripts/make_results.py` on a 2-core CPU",
        "(the wall time is that machine's, shared with other work while it ran). The numbers are",
        "what each example prints at its end; see each script's docstring for their definitions.",
        "",
        "A reverse KL is that of the histogram of *high-quality* samples over the modes (VEEGAN's",
        "definition, `minigan.metrics.mode_metrics`): a run with no high-quality sample at all has",
        "no histogram, so its reverse KL is undefined and shown as `nan (no high-quality sample)`.",
        "Over several seeds, improved_gan.py averages the seeds that have one; wgan_gp.py keeps nan.",
        "",
        "## Targets",
        "",
        "Means over the seeds where a run has several (a mean of 7.8 modes is not 8/8).",
        "",
        "| run | target | measured | met |",
        "|---|---|---|---|",
        *_target_rows(),
        "",
        "## All runs",
        "",
        "Each run's numbers are in its own section below, one table with a column per number.",
        "",
        "| run | what | wall time |",
        "|---|---|---|",
    ]
    sections = []
    for name, (script, flags, what) in RUN_TABLE.items():
        path = PICTURES / f"{name}.json"
        if not path.exists():
            lines.append(f"| {name} | {what} | not run yet |")
            continue
        record = json.loads(path.read_text())
        lines.append(f"| [{name}](#{name}) | {what} | {record['seconds']:.0f} s |")
        command = " ".join(["python", f"examples/{script}.py", *flags])
        sections += ["", f"## {name}", "", f"`{command}`", "", *number_table(record["metrics"]), ""]
        sections += [f"![{name}](results/{picture})" for picture in record["pictures"]]
    sections += ["", "## The like-for-like benchmark on the toys", "",
                 "Every method with the same networks, latent, budget and schedule, over held-out seeds, with "
                 "standard errors, the strict mode count and the samples saved: "
                 "[results/benchmark/README.md](results/benchmark/README.md) (protocol: [benchmark.md](benchmark.md)).",
                 "Tables above: mean ± std over a run's seeds where it has several."]
    # written whole, then renamed: with --jobs, parallel runs rewrite the page as each finishes
    page = ROOT / "docs" / "results.md"
    partial = page.with_name(f".results.md.{os.getpid()}")
    partial.write_text("\n".join(lines + sections) + "\n")
    os.replace(partial, page)


def _target_rows():
    rows = []
    for name, (runs, target, met) in TARGETS.items():
        paths = [PICTURES / f"{run}.json" for run in runs]
        missing = [path.stem for path in paths if not path.exists()]
        if missing:
            rows.append(f"| {name} | {target} | not run yet: {', '.join(missing)} | |")
            continue
        metrics = _combined([json.loads(path.read_text())["metrics"] for path in paths])
        shown = ", ".join(f"{k}: {_format(v)}" for k, v in metrics.items() if k.removesuffix("_per_run") in HEADLINE)
        rows.append(f"| [{name}](#{name}) | {target} | {shown} | {'yes' if met(metrics) else 'no'} |")
    return rows


HEADLINE = ("modes_captured", "modes_captured_std", "high_quality_fraction", "high_quality_fraction_std",
            "class_coverage", "class_kl")


def _combined(records):
    """One run's metrics as they are; for several runs, the mean of each headline number and its per-run values."""
    if len(records) == 1:
        return records[0]
    combined = {}
    for key in HEADLINE:
        values = [record[key] for record in records if key in record]
        if values:
            combined[key] = sum(values) / len(values)
            combined[f"{key}_per_run"] = values
    return combined


def _format(value, name=""):
    if isinstance(value, float) and math.isnan(value) and "reverse" in name.lower():
        return "nan (no high-quality sample)"   # a reverse KL of an empty histogram: see the page's introduction
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    return str(value)


# improved_gan's keys "<dataset> <method> <number>": one row per dataset and method
GROUPED_KEY = re.compile(r"^(?P<row>.+) (?P<number>modes|high-quality|reverse KL)$")


def number_table(metrics):
    """A run's numbers as a markdown table with a column per number (lines).

    ``x`` and ``x_std`` share a cell, "mean ± std"; a NaN reverse KL (no
    high-quality sample) says so; per-run lists are left out (they are in the
    run's json).
    """
    scalars = {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    rows = {}
    for key, value in scalars.items():
        if key.endswith("_std") and key[:-4] in scalars:
            continue
        match = GROUPED_KEY.match(key)
        row, column = (match["row"], match["number"]) if match else ("", key)
        cell = _format(value, key)
        if f"{key}_std" in scalars:
            cell += f" ± {_format(scalars[f'{key}_std'], key)}"
        rows.setdefault(row, {})[column] = cell.replace("|", "\\|")
    if not rows:
        return []
    columns = list(dict.fromkeys(column for cells in rows.values() for column in cells))
    named = any(rows)
    head = (["dataset and method"] if named else []) + [column.replace("|", "\\|") for column in columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row, cells in rows.items():
        lines.append("| " + " | ".join(([row] if named else []) + [cells.get(c, "") for c in columns]) + " |")
    return lines


def run_in_processes(names, jobs):
    """Each run in a child process, ``jobs`` at a time, with one BLAS thread each so they do not fight for cores."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    def child(name):
        done = subprocess.run([sys.executable, __file__, "--only", name], env=env, capture_output=True, text=True)
        print(f"== {name}: exit {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-2000:]}", flush=True)
        return done.returncode

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        failed = [name for name, code in zip(names, pool.map(child, names)) if code]
    if failed:
        sys.exit(f"these runs failed: {', '.join(failed)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=sorted(RUN_TABLE), help="rerun these runs only")
    parser.add_argument("--page-only", action="store_true", help="rebuild docs/results.md from kept results")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time, each in its own process (default 1)")
    args = parser.parse_args()
    RUNS.mkdir(parents=True, exist_ok=True)
    if args.jobs > 1 and not args.page_only:
        run_in_processes(args.only or list(RUN_TABLE), args.jobs)
    elif not args.page_only:
        for name in args.only or RUN_TABLE:
            print(f"== {name}", flush=True)
            record = run(name)
            print(json.dumps(record["metrics"]), f"({record['seconds']:.0f} s)", flush=True)
            write_page()
    write_page()
    print(f"wrote {os.path.relpath(ROOT / 'docs' / 'results.md')}")


if __name__ == "__main__":
    main()
