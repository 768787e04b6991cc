"""Guards for a training loop: flags checked before training starts, a NaN loss stopped with a hint.

Every example calls :func:`check_flags` on its parsed flags before it trains,
so a bad value is refused in one sentence before any work is done (not after
a full run, when the final measurement would have failed), and
:func:`check_finite` on each loss as it goes. :func:`run_script` turns these
errors into one ``error: ...`` line instead of a traceback.

The plumbing the examples share, that is no part of the GAN, lives here too,
so that a script shows its networks and its loop, not its bookkeeping:
:func:`add_run_flags` (--seed, --out, --sample-every, --checkpoint-every,
--resume, --overwrite, --quiet), :func:`resume_or_start` (load the checkpoint
of --resume and say at which step the loop starts) and ``run_script(main,
timed=True)`` (say how long the run took).
"""

import math
import os
import sys
import time

from minigan.gan.checkpoint import CheckpointError, load_checkpoint


class TrainingError(RuntimeError):
    """Training cannot go on (a loss became NaN/Inf) or should not start (a bad flag or hyperparameter)."""


def check_finite(loss, name, step, checkpoint=None):
    """Stop with the step number, the loss's name and a hint if ``loss`` is NaN or infinite.

    ``checkpoint`` is the path the run writes its checkpoints to, if it writes
    any: the hint tells the user to resume from it only when it exists.
    Returns the loss as a Python float, so the loop can log it.
    """
    value = float(loss.item() if hasattr(loss, "item") else loss)
    if not math.isfinite(value):
        resume = ""
        if checkpoint is not None and os.path.exists(checkpoint):
            resume = f" Once fixed, resume from the last good checkpoint with --resume {checkpoint}."
        raise TrainingError(
            f"{name} became {value} at step {step}; try a smaller learning rate, the non-saturating "
            f"generator loss, or check the data for NaNs.{resume}"
        )
    return value


# ------------------------------------------------------------------ the flags of an example

# Every numeric flag of every example has its range here, by its name. check_flags refuses a
# numeric flag that is not listed, so a new flag cannot slip in unchecked (tests/test_guards.py).
COUNT = ("an integer >= 1", lambda v: isinstance(v, int) and v >= 1)
PAIR = ("an integer >= 2", lambda v: isinstance(v, int) and v >= 2)
COUNT_OR_ZERO = ("an integer >= 0", lambda v: isinstance(v, int) and v >= 0)
RATE = ("a finite number > 0", lambda v: math.isfinite(v) and v > 0)
WEIGHT = ("a finite number >= 0", lambda v: math.isfinite(v) and v >= 0)
BETA = ("a number in [0, 1)", lambda v: 0 <= v < 1)
TARGET = ("a number in (0, 1]", lambda v: 0 < v <= 1)

FLAG_RULES = {
    # how long, how much: counts (a batch, or the samples measured at the end, needs two: batch norm, a Gaussian fit)
    "steps": COUNT, "batch_size": PAIR, "k": COUNT, "n_critic": COUNT, "g_steps": COUNT, "seeds": COUNT,
    # network sizes
    "latent_dim": COUNT, "width": COUNT, "depth": COUNT, "hidden": COUNT, "embed_dim": COUNT,
    "minibatch_kernels": COUNT, "kernel_dim": COUNT, "reference_size": COUNT,
    # how often, and how much is measured at the end
    "sample_every": COUNT, "checkpoint_every": COUNT, "eval_samples": PAIR, "eval_per_class": COUNT,
    "fps": COUNT, "frames": PAIR,   # two frames at least: the start and the end of training
    "seed": COUNT_OR_ZERO, "codes": COUNT_OR_ZERO, "sharpen_steps": COUNT_OR_ZERO,
    # optimiser settings
    "lr": RATE, "d_lr": RATE, "sharpen_lr": RATE, "beta1": BETA, "beta2": BETA,
    # loss weights and bounds
    "cycle": WEIGHT, "identity": WEIGHT, "lam": WEIGHT, "history_weight": WEIGHT,
    "clip": RATE, "label_smoothing": TARGET,
}


# ------------------------------------------------------------------ the run-management flags

def add_run_flags(parser, out, sample_every=None, checkpoint_every=None, *, unit="steps", picture="a sample grid",
                  measure=None):
    """Add to ``parser`` the flags that manage a run (not what it trains), in the order --help lists them.

    * ``--seed`` (default 0) and ``--out`` (default ``out``);
    * ``--sample-every N`` if ``sample_every`` (its default) is given: ``picture`` says what it writes;
    * ``--checkpoint-every N``, ``--resume CHECKPOINT`` and ``--overwrite`` if ``checkpoint_every`` is given
      (the run writes ``checkpoint.npz``; see :func:`check_flags` and :func:`resume_or_start`);
      ``unit`` says what N counts ("generator steps" where the loop also counts D steps);
    * ``measure``: ``(flag, default, help)`` of the integer flag saying how much the end of the run
      measures (``--eval-samples``, ``--eval-per-class``), if the example has one;
    * ``--quiet``, last.
    """
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=out, help="directory for pictures and checkpoints" if checkpoint_every
                        else "directory for the pictures")
    if sample_every is not None:
        parser.add_argument("--sample-every", type=int, default=sample_every, help=f"write {picture} every N {unit}")
    if checkpoint_every is not None:
        parser.add_argument("--checkpoint-every", type=int, default=checkpoint_every,
                            help=f"write the checkpoint every N {unit}")
        parser.add_argument("--resume", metavar="CHECKPOINT", help="continue from a checkpoint written by this script")
        parser.add_argument("--overwrite", action="store_true",
                            help="replace a checkpoint already in --out (a fresh run)")
    if measure is not None:
        flag, default, meaning = measure
        parser.add_argument(flag, type=int, default=default, help=meaning)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def check_flags(args, num_samples=None, checkpoint=None):
    """Refuse, in one sentence, the first flag of ``args`` (an argparse Namespace) that cannot work.

    * every numeric flag must lie in its range of :data:`FLAG_RULES`
      (``--lr inf``, ``--beta1 1.5``, ``--width 0``, ``--sample-every 0`` ... are refused);
    * ``--batch-size`` may not exceed ``num_samples``, the size of the data;
    * ``--out`` must be a folder that can be written (it is created if missing), not a file;
    * with ``checkpoint`` (the file name the run writes into ``--out``), a
      run refuses to replace a checkpoint already there unless ``--overwrite``
      is given or it resumes from that very file (``--resume``).

    Call it before training; it checks what the end of the run needs too.
    Returns the checkpoint's path, ``checkpoint`` inside ``--out`` (None without ``checkpoint`` or ``--out``).
    """
    for name, value in vars(args).items():
        if value is None or isinstance(value, (bool, str, list, tuple)):
            continue
        if name not in FLAG_RULES:
            raise KeyError(f"--{name.replace('_', '-')} has no range in minigan.gan.guards.FLAG_RULES; add one.")
        meaning, valid = FLAG_RULES[name]
        if not isinstance(value, (int, float)) or not valid(value):
            raise TrainingError(f"--{name.replace('_', '-')} must be {meaning}, got {value!r}.")
    batch_size = getattr(args, "batch_size", None)
    if num_samples is not None and batch_size is not None and batch_size > num_samples:
        raise TrainingError(f"--batch-size {batch_size} is larger than the data ({num_samples} samples); "
                            f"use at most {num_samples}.")
    out = getattr(args, "out", None)
    if out is not None:
        _check_out(out)
        if checkpoint is not None:
            path, resume = os.path.join(out, checkpoint), getattr(args, "resume", None)
            if os.path.exists(path) and not getattr(args, "overwrite", False):
                if not resume:
                    raise TrainingError(f"{path} already holds a checkpoint; continue it with --resume {path}, "
                                        "replace it with --overwrite, or choose another --out.")
                if os.path.abspath(resume) != os.path.abspath(path):
                    raise TrainingError(f"{path} holds another run's checkpoint, which resuming {resume} into this "
                                        "--out would replace; choose another --out, or --overwrite.")
            return path
    return None


def _check_out(out):
    if os.path.exists(out) and not os.path.isdir(out):
        raise TrainingError(f"--out {out} is a file, not a folder; choose a folder for the pictures and checkpoints.")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as err:
        raise TrainingError(f"--out {out} cannot be created ({err.strerror}); "
                            "choose a folder you can write to.") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise TrainingError(f"--out {out} is not writable; choose a folder you can write to.")


# ------------------------------------------------------------------ resuming

# flags that do not change what is trained: a resume may change them (steps may grow)
NOT_HYPERPARAMETERS = ("steps", "out", "resume", "overwrite", "quiet", "sample_every", "checkpoint_every",
                       "eval_samples", "eval_per_class", "frames", "fps")


def hyperparameters(args):
    """The flags of ``args`` a checkpoint records and a resume must repeat: all but :data:`NOT_HYPERPARAMETERS`.

    A flat dict of str -> int/float/str/bool (an unset flag is stored as the string "None").
    """
    return {name: "None" if value is None else value for name, value in sorted(vars(args).items())
            if name not in NOT_HYPERPARAMETERS}


def check_resume(step, steps, path, schedule=None):
    """Refuse a resume whose length ``steps`` is at or below the checkpoint's ``step``: there would be nothing to train.

    ``schedule`` names the flags of a run whose length is part of its hyperparameters (wgan_gp's
    ``"--steps + --sharpen-steps"``, whose lr schedule ends at their sum): such a run cannot be made
    longer by a resume, and the message says to start a fresh one.
    """
    if steps > step:
        return
    if schedule is None:
        raise TrainingError(f"{path} is already at step {step}, so --steps {steps} leaves nothing to train; "
                            f"give --steps above {step} to train on.")
    raise TrainingError(f"{path} is already at step {step}, the end of its schedule ({schedule} = {steps}), "
                        f"so there is nothing to train; a longer schedule is a fresh run (--overwrite).")


def resume_or_start(args, models, optimizers, history, *, steps=None, hparams=None, schedule=None):
    """The step the training loop starts at: 0 for a fresh run, or the step of the checkpoint ``--resume`` names.

    On a resume, the checkpoint's weights go into ``models``, its optimiser state into ``optimizers``
    (the dicts of names the run gives :func:`~minigan.gan.checkpoint.save_checkpoint`) and the random
    generator is put back as it was, so the run goes on bit for bit; each list of ``history`` (the
    series the loop appends to, saved as the checkpoint's ``extra``) is filled with what it held.
    Refused if a training flag differs from the checkpoint's (``hparams``, default :func:`hyperparameters`)
    or the run's length (``steps``, default ``--steps``; ``schedule``: see :func:`check_resume`) leaves
    nothing to train.
    """
    if not args.resume:
        return 0
    step, extra = load_checkpoint(args.resume, models, optimizers,
                                  hparams=hyperparameters(args) if hparams is None else hparams)
    check_resume(step, args.steps if steps is None else steps, args.resume, schedule)
    for name in history:
        history[name] = [float(v) for v in extra[name]]
    return step


def run_script(main, timed=False):
    """Run an example's ``main()``; a minigan error ends it with its one-sentence message, not a traceback.

    With ``timed``, a run that finishes then prints how long it took (``took 95 s``).
    """
    from minigan.data import DataError

    start = time.perf_counter()
    try:
        result = main()
    except (TrainingError, CheckpointError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(1) from None
    if timed:
        print(f"took {time.perf_counter() - start:.0f} s")
    return result
