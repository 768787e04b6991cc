"""Guards for a training loop: stop on a NaN loss, refuse bad hyperparameters before starting."""

import math


class TrainingError(RuntimeError):
    """Training cannot go on (a loss became NaN/Inf) or should not start (a bad hyperparameter)."""


def check_finite(loss, name, step):
    """Stop with the step number, the loss's name and a hint if ``loss`` is NaN or infinite.

    Returns the loss as a Python float, so the loop can log it.
    """
    value = float(loss.item() if hasattr(loss, "item") else loss)
    if not math.isfinite(value):
        raise TrainingError(
            f"{name} became {value} at step {step}; try a smaller learning rate, the non-saturating "
            "generator loss, or check the data for NaNs. Resume from the last checkpoint once fixed."
        )
    return value


def check_hyperparameters(lr=None, k=None, batch_size=None, num_samples=None, steps=None, g_steps=None):
    """Raise one clear error for the first hyperparameter that cannot work."""
    if lr is not None and not lr > 0:
        raise TrainingError(f"the learning rate must be positive, got lr={lr}.")
    if k is not None and (int(k) != k or k < 1):
        raise TrainingError(f"k (discriminator steps per generator step) must be an integer >= 1, got {k}.")
    if g_steps is not None and (int(g_steps) != g_steps or g_steps < 1):
        raise TrainingError(f"g_steps (generator steps per discriminator step) must be an integer >= 1, got {g_steps}.")
    if steps is not None and (int(steps) != steps or steps < 1):
        raise TrainingError(f"steps must be an integer >= 1, got {steps}.")
    if batch_size is not None:
        if int(batch_size) != batch_size or batch_size < 1:
            raise TrainingError(f"batch size must be an integer >= 1, got {batch_size}.")
        if num_samples is not None and batch_size > num_samples:
            raise TrainingError(
                f"batch size {batch_size} is larger than the data ({num_samples} samples); "
                f"use at most {num_samples}."
            )


def run_script(main):
    """Run an example's ``main()``; a minigan error ends it with its one-sentence message, not a traceback."""
    import sys

    from minigan.data import DataError
    from minigan.gan.checkpoint import CheckpointError

    try:
        return main()
    except (TrainingError, CheckpointError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(1) from None
