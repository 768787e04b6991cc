"""Checkpoints: one ``.npz`` holding models, optimisers, the step and the random generator.

Written atomically: the arrays go to a temporary file beside the target,
which is flushed to disk and then renamed over it. A crash mid-write leaves
the previous checkpoint whole. Loading refuses pickles (``allow_pickle=False``),
so a checkpoint can hold numbers only, never code.

Keys are ``model/<name>/<state_dict key>``, ``optim/<name>/<state_dict key>``,
``step`` and ``generator_state`` (the backend generator, as JSON text).
"""

import os
import tempfile
import zipfile

from minigan import backend


class CheckpointError(RuntimeError):
    """A checkpoint cannot be read or does not fit the models it is loaded into."""


def save_checkpoint(path, step, models, optimizers=None, extra=None, hparams=None):
    """Write models (name -> Module), optimisers (name -> Optimizer), ``step`` and the generator state to ``path``.

    ``extra`` maps names to arrays or numbers kept beside them (loss history, say);
    ``hparams`` (a flat dict of str -> int/float/str/bool) the settings the run
    was trained with, checked by :func:`load_checkpoint`.
    """
    arrays = {"step": step, "generator_state": backend.generator_state()}
    arrays.update({f"hparams/{k}": v for k, v in (hparams or {}).items()})
    for name, model in models.items():
        arrays.update({f"model/{name}/{k}": v for k, v in model.state_dict().items()})
    for name, optimizer in (optimizers or {}).items():
        arrays.update({f"optim/{name}/{k}": v for k, v in optimizer.state_dict().items()})
    for name, value in (extra or {}).items():
        arrays[f"extra/{name}"] = value
    _write_atomically(path, arrays)
    return path


def _write_atomically(path, arrays):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".checkpoint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            backend.save_npz(file, arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def read_checkpoint(path):
    """The arrays of a checkpoint file, as a dict; a clear error for a missing or damaged file."""
    if not os.path.exists(path):
        raise CheckpointError(f"no checkpoint at {path!r}; check the path (or start without --resume).")
    try:
        arrays = backend.load_npz(path)
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise CheckpointError(f"{path!r} is damaged or not a minigan checkpoint ({err}); use an earlier one.") from None
    except ValueError as err:
        if "pickle" in str(err):
            raise CheckpointError(
                f"{path!r} holds pickled Python objects, which minigan refuses to load (they can run code); "
                "a minigan checkpoint holds plain arrays only."
            ) from None
        raise CheckpointError(f"{path!r} is damaged or not a minigan checkpoint ({err}); use an earlier one.") from None
    for key in ("step", "generator_state"):
        if key not in arrays:
            raise CheckpointError(f"{path!r} has no {key!r} entry, so it is not a minigan checkpoint.")
    return arrays


def load_checkpoint(path, models, optimizers=None, restore_generator=True, hparams=None):
    """Load a checkpoint written by :func:`save_checkpoint` into ``models`` and ``optimizers``.

    Returns ``(step, extra)``. Every model and optimiser named must be in the
    file, and every key must match (the error names the key that does not).
    With ``hparams``, they must equal the stored ones (checked before anything is applied).
    """
    arrays = read_checkpoint(path)
    if hparams is not None:
        stored = {k: v.item() for k, v in _section(arrays, "hparams/").items()}
        differ = [f"{k} {stored.get(k, 'missing')!r} in the checkpoint, {v!r} now" for k, v in sorted(hparams.items())
                  if stored.get(k) != v]
        differ += [f"{k} {v!r} in the checkpoint, missing now" for k, v in sorted(stored.items()) if k not in hparams]
        if differ:
            raise CheckpointError(f"{path!r} was trained with other settings ({'; '.join(differ)}); "
                                  "resume with the same flags, or start a fresh run.")
    for kind, objects in (("model", models), ("optim", optimizers or {})):
        for name, obj in objects.items():
            state = _section(arrays, f"{kind}/{name}/")
            if not state:
                raise CheckpointError(f"{path!r} has no {kind} named {name!r}; it holds {_names(arrays, kind)}.")
            try:
                obj.load_state_dict(state)
            except (KeyError, ValueError, RuntimeError) as err:
                raise CheckpointError(f"{path!r} does not fit {kind} {name!r}: {_message(err)}") from None
    if restore_generator:
        backend.set_generator_state(str(arrays["generator_state"]))
    extra = _section(arrays, "extra/")
    return int(arrays["step"]), extra


def _section(arrays, prefix):
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def _names(arrays, kind):
    names = sorted({k.split("/")[1] for k in arrays if k.startswith(kind + "/")})
    return ", ".join(repr(n) for n in names) or "none"


def _message(err):
    return err.args[0] if err.args else str(err)
