"""Checkpoints: one ``.npz`` holding models, optimisers, the step, the hyperparameters and the random generator.

Nothing is ever lost:

* **Checked before the file is touched.** ``step``, every model and
  optimiser state, every ``extra`` value and every hyperparameter is
  validated first; a NaN in the weights, an unsupported value or a bad
  argument raises :class:`CheckpointError` and the previous checkpoint stays
  as it was.
* **Written atomically.** The arrays go to a temporary file beside the target
  (``.checkpoint-<pid>-*.tmp``), which is flushed to disk and then renamed
  over it: a crash or a SIGKILL mid-write leaves the previous checkpoint
  whole, and the next save removes the temporaries that killed saves left.
* **Loaded all or nothing.** The whole file is read and checked against every
  model and optimiser before any of it is applied. Pickles are refused
  (only plain numbers and text are read), and every ``.npy`` header is checked
  for size before its data is read.

Layout: ``model/<name>/<state_dict key>``, ``optim/<name>/<state_dict key>``,
``extra/<name>``, ``step`` (int64), ``generator_state`` (the backend
generator, JSON text) and ``hparams`` (a flat dict, JSON text).
"""

import copy
import errno
import json
import math
import numbers
import operator
import os
import re
import stat
import tempfile

from minigan import backend


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written, read, or does not fit the models it is loaded into."""


MAX_STEP = 2**63 - 1  # stored as int64
_NUMBERS = "biuf"  # bool, int, unsigned, float: the dtypes a state array may have
_TEMPORARY = re.compile(r"^\.checkpoint-(?:(\d+)-)?.*\.tmp$")


# ----------------------------------------------------------------- saving


def save_checkpoint(path, step, models, optimizers=None, extra=None, hparams=None):
    """Write ``models`` (name -> Module), ``optimizers`` (name -> Optimizer), ``step``,
    ``hparams`` and the generator state to ``path``. Returns ``path``.

    ``extra`` maps names to values kept beside them: numbers, strings or
    arrays (a loss history, say). ``hparams`` is a flat dict of the run's
    hyperparameters, name -> int, float, str or bool; :func:`load_checkpoint`
    can compare it with the resumed run's. Raises :class:`CheckpointError`
    (and writes nothing) for anything that could not be loaded back.
    """
    path = _path(path)
    step = _check_step(step)
    models = _named(models, "models", "a model")
    optimizers = _named(optimizers or {}, "optimizers", "an optimiser")
    arrays = {"step": backend.to_numpy(step).astype("int64"), "generator_state": backend.generator_state()}
    for kind, objects in (("model", models), ("optim", optimizers)):
        for name, obj in objects.items():
            for key, value in obj.state_dict().items():
                arrays[f"{kind}/{name}/{key}"] = _state_array(value, kind, name, key, step, path)
    for name, value in _checked_dict(extra, "extra").items():
        arrays[f"extra/{name}"] = _extra_array(name, value)
    arrays["hparams"] = json.dumps(_check_hparams(hparams, "hparams"), sort_keys=True)
    _write_atomically(path, arrays)
    return path


def _path(path):
    try:
        path = os.fspath(path)
    except TypeError:
        raise CheckpointError(f"a checkpoint path must be a str or os.PathLike, got {path!r}.") from None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not path or "\x00" in path:
        raise CheckpointError(
            f"{path!r} is not a usable checkpoint path; give a file name such as 'runs/checkpoint.npz'."
        )
    return path


def _check_step(step):
    try:
        value = operator.index(step)
    except TypeError:
        value = None
    if value is None or isinstance(step, bool) or not 0 <= value <= MAX_STEP:
        raise CheckpointError(f"step must be an integer from 0 to 2**63 - 1, got {step!r}.")
    return value


def _named(objects, what, one):
    """``objects`` checked to be a dict of name -> object with state_dict/load_state_dict."""
    if not isinstance(objects, dict):
        example = "{'G': G, 'D': D}" if what == "models" else "{'G': opt_G, 'D': opt_D}"
        raise CheckpointError(
            f"{what} must be a dict naming each one, such as {example}, got a {type(objects).__name__}."
        )
    if what == "models" and not objects:
        raise CheckpointError("models is empty; name at least one model, such as {'G': G}.")
    for name, obj in objects.items():
        if not isinstance(name, str) or not name or "/" in name:
            raise CheckpointError(f"the names in {what} must be non-empty strings without '/', got {name!r}.")
        if not (callable(getattr(obj, "state_dict", None)) and callable(getattr(obj, "load_state_dict", None))):
            raise CheckpointError(
                f"{what}[{name!r}] must be {one} (with state_dict and load_state_dict), got a {type(obj).__name__}."
            )
    return objects


def _state_array(value, kind, name, key, step, path):
    """A model's or optimiser's state value as a host array, refused when it is not finite."""
    array = backend.to_numpy(value)
    what = "model" if kind == "model" else "optimiser"
    if array.dtype.kind not in _NUMBERS:
        raise CheckpointError(f"{what} {name!r} key {key!r} has dtype {array.dtype}, not a real number type.")
    if not backend.all_finite(array):
        kept = _last_good(path)
        raise CheckpointError(
            f"{what} {name!r} holds NaN or infinite values in {key!r} at step {step}, so the weights went bad "
            f"before this save: nothing was written and {kept} (lower the learning rate, or resume from it)."
        )
    return array


def _last_good(path):
    """Words naming the checkpoint that a refused save keeps."""
    if not os.path.lexists(path):
        return f"no checkpoint existed at {path} yet"
    try:
        return f"the last good checkpoint {path} (step {int(read_checkpoint(path)['step'])}) is kept"
    except CheckpointError:
        return f"the file at {path} is left as it was"


def _checked_dict(values, what):
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise CheckpointError(f"{what} must be a dict of name -> value, got a {type(values).__name__}.")
    for name in values:
        if not isinstance(name, str) or not name:
            raise CheckpointError(f"the names in {what} must be non-empty strings, got {name!r}.")
    return values


def _extra_array(name, value):
    """An ``extra`` value as a host array: finite numbers (or arrays, lists of them) or a str."""
    fix = "store finite numbers, arrays or lists of numbers, or a str"
    if value is None or isinstance(value, (dict, set, bytes)):
        raise CheckpointError(f"extra[{name!r}] is {type(value).__name__}, which a checkpoint cannot hold; {fix}.")
    if isinstance(value, str):
        return value
    try:
        array = backend.to_numpy(value)
    except (TypeError, ValueError, OverflowError):
        raise CheckpointError(
            f"extra[{name!r}] cannot be stored as an array (a ragged list, or an integer beyond int64); {fix}."
        ) from None
    if array.dtype.kind not in _NUMBERS:
        raise CheckpointError(f"extra[{name!r}] has dtype {array.dtype}, which a checkpoint cannot hold; {fix}.")
    if not backend.all_finite(array):
        raise CheckpointError(f"extra[{name!r}] holds NaN or infinite values; {fix}.")
    return array


def _check_hparams(hparams, what):
    """``hparams`` as a flat dict of str -> bool, int, float (finite) or str."""
    hparams = _checked_dict(hparams, what)
    for name, value in hparams.items():
        if isinstance(value, bool) or isinstance(value, str):
            continue
        if isinstance(value, numbers.Integral):
            hparams = {**hparams, name: int(value)}
        elif isinstance(value, numbers.Real) and math.isfinite(value):
            hparams = {**hparams, name: float(value)}
        else:
            raise CheckpointError(
                f"{what}[{name!r}] is {value!r}; a hyperparameter must be a bool, an int, a finite float or a str."
            )
    return hparams


def _write_atomically(path, arrays):
    """Write ``arrays`` to a temporary file in the target's folder, fsync it, then rename it over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CheckpointError(f"{path} is a folder; give the checkpoint a file name such as {path}/checkpoint.npz.")
    if os.path.lexists(path) and not os.path.islink(path) and not stat.S_ISREG(os.stat(path).st_mode):
        raise CheckpointError(f"{path} exists and is not a regular file; save the checkpoint somewhere else.")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as err:
        raise CheckpointError(f"cannot create the folder {directory} for checkpoint {path} ({_reason(err)}).") from None
    _remove_stale_temporaries(directory)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".checkpoint-{os.getpid()}-", suffix=".tmp", dir=directory)
    except OSError as err:
        raise CheckpointError(f"cannot write checkpoint {path}: {_reason(err)} in {directory}.") from None
    try:
        with os.fdopen(handle, "wb") as file:
            backend.save_npz(file, arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)  # a symlink at path is replaced itself, never written through
    except BaseException as err:
        if os.path.exists(temporary):
            os.remove(temporary)
        if isinstance(err, OSError):
            raise CheckpointError(
                f"cannot write checkpoint {path}: {_reason(err)}; the previous checkpoint there, if any, is kept."
            ) from None
        raise
    _sync_folder(directory)


def _reason(err):
    if err.errno == errno.ENOSPC:
        return "the disk is full"
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "no permission to write there"
    return err.strerror or str(err)


def _remove_stale_temporaries(directory):
    """Delete ``.checkpoint-<pid>-*.tmp`` files left by saves whose process is gone (a SIGKILL, a power cut)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        match = _TEMPORARY.match(name)
        if match is None:
            continue
        pid = match.group(1)
        if pid is not None and int(pid) != os.getpid() and _process_alive(int(pid)):
            continue  # another running process is writing it now
        try:
            os.remove(os.path.join(directory, name))
        except OSError:
            pass


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _sync_folder(directory):
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


# ----------------------------------------------------------------- reading


def read_checkpoint(path):
    """The arrays of a checkpoint file, as a dict of host arrays, after checking every entry.

    One specific :class:`CheckpointError` per failure: missing, not a
    checkpoint, truncated or damaged, pickled, or a damaged field.
    """
    path = _path(path)
    if not os.path.lexists(path):
        raise CheckpointError(f"no checkpoint at {path}; check the path (or start without --resume).")
    if os.path.isdir(path):
        raise CheckpointError(f"{path} is a folder, not a checkpoint; name the file, such as {path}/checkpoint.npz.")
    try:
        info = os.stat(path)
    except OSError as err:
        raise CheckpointError(f"checkpoint {path} cannot be read ({_reason(err)}).") from None
    if not stat.S_ISREG(info.st_mode):
        raise CheckpointError(f"{path} is not a regular file, so it is not a minigan checkpoint.")
    if info.st_size == 0:
        raise CheckpointError(f"{path} is empty (0 bytes), so it is not a minigan checkpoint; use an earlier one.")
    try:
        arrays = backend.load_npz(path)
    except backend.ArchiveError as err:
        raise CheckpointError(_archive_message(path, err)) from None
    except OSError as err:
        raise CheckpointError(f"checkpoint {path} cannot be read ({_reason(err)}).") from None
    _check_layout(path, arrays)
    return arrays


def _archive_message(path, err):
    if err.kind == "pickled":
        return (
            f"{path} holds pickled Python objects ({err}), which minigan refuses to load because they can run code; "
            "a minigan checkpoint holds plain arrays only."
        )
    if err.kind == "not_npz":
        return f"{path} is not a minigan checkpoint ({err}); give the path of a checkpoint.npz that a run wrote."
    if err.kind == "too_large":
        return f"{path} is damaged: {err}, so nothing was read; use an earlier checkpoint."
    return f"{path} is truncated or damaged ({err}); use an earlier checkpoint."


def _check_layout(path, arrays):
    """Every entry is one minigan writes, with the dtype and shape it writes."""
    for key in ("step", "generator_state"):
        if key not in arrays:
            raise CheckpointError(f"{path} has no {key!r} entry, so it is not a minigan checkpoint.")
    for key, array in arrays.items():
        section = key.split("/")[0]
        if key in ("step", "generator_state", "hparams"):
            continue
        if section in ("model", "optim") and key.count("/") >= 2 and key.split("/")[1] and key.split("/", 2)[2]:
            _check_numbers(path, key, array)
            if section == "optim" and key.rsplit("/", 1)[-1].rsplit(".", 1)[-1] in _COUNTS and not _is_count(array):
                raise CheckpointError(
                    f"{path} has a damaged field {key!r} ({_show(array)}); a step count must be an integer >= 0."
                )
        elif section == "extra" and key[len("extra/"):]:
            if array.dtype.kind != "U":
                _check_numbers(path, key, array)
        else:
            raise CheckpointError(
                f"{path} holds an entry {key!r} that minigan does not write, so it is not a minigan checkpoint."
            )
    step = arrays["step"]
    if step.shape != () or step.dtype.kind not in "iu" or not 0 <= int(step) <= MAX_STEP:
        raise CheckpointError(
            f"{path} has a damaged field 'step' ({_show(step)}); it must be an integer from 0 to 2**63 - 1."
        )
    for key in ("generator_state", "hparams"):
        if key in arrays and (arrays[key].shape != () or arrays[key].dtype.kind != "U"):
            raise CheckpointError(f"{path} has a damaged field {key!r} ({_show(arrays[key])}); it must be JSON text.")
    if "hparams" in arrays:
        _parse_hparams(path, arrays)


_COUNTS = ("step", "count", "num_params")  # an optimiser's counters: Adam's state.<i>.step, an average's count


def _is_count(array):
    return array.shape == () and array.dtype.kind in "iu" and 0 <= int(array) <= MAX_STEP


def _check_numbers(path, key, array):
    kind = array.dtype.kind
    if kind == "c":
        raise CheckpointError(f"{path} has a damaged field {key!r}: it holds complex numbers; a state holds real ones.")
    if kind not in _NUMBERS:
        raise CheckpointError(f"{path} has a damaged field {key!r}: it holds {array.dtype} values, not numbers.")
    if not backend.all_finite(array):
        raise CheckpointError(f"{path} has a damaged field {key!r}: it holds NaN or infinite values.")


def _show(array):
    text = repr(array.tolist()) if array.size <= 4 else f"shape {array.shape}"
    return f"{text}, dtype {array.dtype}"


def _parse_hparams(path, arrays):
    if "hparams" not in arrays:
        return {}
    try:
        hparams = json.loads(str(arrays["hparams"]))
        if not isinstance(hparams, dict):
            raise ValueError
        return _check_hparams(hparams, "hparams")
    except (ValueError, RecursionError, CheckpointError):
        raise CheckpointError(
            f"{path} has a damaged field 'hparams'; it must be a JSON object of name -> number, str or bool."
        ) from None


def read_hparams(path):
    """The hyperparameters a checkpoint was saved with (a dict; empty when none were recorded)."""
    path = _path(path)
    return _parse_hparams(path, read_checkpoint(path))


# ----------------------------------------------------------------- loading


def load_checkpoint(path, models, optimizers=None, restore_generator=True, hparams=None):
    """Load a checkpoint written by :func:`save_checkpoint` into ``models`` and ``optimizers``.

    Returns ``(step, extra)``. All or nothing: the whole file is checked
    against every model and optimiser named (each must be in the file, every
    key and shape must match) and, when ``hparams`` is given, against the
    hyperparameters it was saved with, before anything is applied. On any
    mismatch a :class:`CheckpointError` says what, and the models, optimisers
    and the generator are left exactly as they were.
    """
    path = _path(path)
    models = _named(models, "models", "a model")
    optimizers = _named(optimizers or {}, "optimizers", "an optimiser")
    if hparams is not None:
        hparams = _check_hparams(hparams, "hparams")
    arrays = read_checkpoint(path)
    if hparams is not None:
        _compare_hparams(path, _parse_hparams(path, arrays), hparams)
    generator = None
    if restore_generator:
        try:
            generator = backend.generator_from_state(str(arrays["generator_state"]))
        except ValueError as err:
            raise CheckpointError(f"{path} has a damaged field 'generator_state': {err}.") from None
    plans = []
    for kind, objects in (("model", models), ("optim", optimizers)):
        for name, obj in objects.items():
            state = _section(arrays, f"{kind}/{name}/")
            what = "model" if kind == "model" else "optimiser"
            if not state:
                raise CheckpointError(f"{path} has no {what} named {name!r}; it holds {what}s {_names(arrays, kind)}.")
            problem = _model_mismatch(obj, state) if kind == "model" else _optimizer_mismatch(obj, state)
            if problem:
                raise CheckpointError(f"{path} does not fit {what} {name!r}: {problem}.")
            plans.append((obj, state))
    _apply_all(path, plans)
    if generator is not None:
        backend.set_generator(generator)
    return int(arrays["step"]), _section(arrays, "extra/")


def _compare_hparams(path, saved, given):
    differ = []
    for name in sorted(set(saved) | set(given)):
        if name not in saved:
            differ.append(f"{name} is not recorded in the checkpoint but is {given[name]!r} now")
        elif name not in given:
            differ.append(f"{name} is {saved[name]!r} in the checkpoint but not given now")
        elif not _same(saved[name], given[name]):
            differ.append(f"{name} is {saved[name]!r} in the checkpoint but {given[name]!r} now")
    if set(saved) != set(given):   # other flags altogether: most likely another example's checkpoint
        raise CheckpointError(
            f"{path} was written by another script, or another version of this one: its flags differ "
            f"({'; '.join(differ)}), so nothing was loaded; resume it with the script that wrote it, "
            "or start a fresh run."
        )
    if differ:
        raise CheckpointError(
            f"{path} was trained with other hyperparameters ({'; '.join(differ)}), so nothing was loaded; "
            "resume with the checkpoint's values, or start a fresh run."
        )


def _same(a, b):
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    return a == b


def _model_mismatch(model, state):
    """What keeps ``state`` from loading into ``model`` (None when it fits), found without changing the model."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append("missing keys " + ", ".join(repr(k) for k in missing))
        if unexpected:
            parts.append("unexpected keys " + ", ".join(repr(k) for k in unexpected))
        return " and ".join(parts) + " (it was saved from a different architecture)"
    for key, target in own.items():
        value = state[key]
        if tuple(value.shape) != tuple(target.shape):
            return f"key {key!r} has shape {tuple(value.shape)} in the file but {tuple(target.shape)} in the model"
        if _kind(value.dtype) != _kind(target.dtype):
            return f"key {key!r} holds {value.dtype} values but the model's are {target.dtype}"
    return None


def _kind(dtype):
    return {"u": "i"}.get(dtype.kind, dtype.kind)


def _optimizer_mismatch(optimizer, state):
    """Try ``state`` on a shallow copy of ``optimizer`` (its own attributes stay untouched)."""
    trial = copy.copy(optimizer)
    try:
        trial.load_state_dict(dict(state))
    except (KeyError, ValueError, TypeError, RuntimeError, IndexError, OverflowError) as err:
        return str(err.args[0] if err.args else err).rstrip(".")
    return None


def _apply_all(path, plans):
    """Load each state; if one fails anyway, put every object back as it was."""
    snapshots = [(obj, obj.state_dict()) for obj, _ in plans]
    try:
        for obj, state in plans:
            obj.load_state_dict(state)
    except Exception as err:
        for obj, snapshot in snapshots:
            obj.load_state_dict(snapshot)
        raise CheckpointError(f"{path} could not be applied ({err}); nothing was changed.") from None


def _section(arrays, prefix):
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def _names(arrays, kind):
    names = sorted({k.split("/")[1] for k in arrays if k.startswith(kind + "/")})
    return ", ".join(repr(n) for n in names) or "none"
