"""One home per check: bad arguments meet one clear error, raised once, by the op or the layer that owns it.

A functional op checks its inputs; a layer checks only its own settings (its
configured sizes), and when the op it calls refuses an input, the error names
the layer. These tests feed the mistakes users make and read the sentences.
"""

import numpy as np
import pytest

import minigan as mg
import minigan.functional as F
from minigan import nn
from minigan.backend import xp


def zeros(*shape):
    return mg.tensor(xp.zeros(shape, dtype="float32"))


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (["a", "b"], TypeError, "needs real numbers, got strings"),
        (None, TypeError, "got None"),
        ([[1.0, 2.0], [3.0]], ValueError, "different lengths"),
        (np.array([1, None], dtype=object), TypeError, "Python objects"),
        ([1.0, None], TypeError, "Python objects"),
        ([1 + 2j], TypeError, "complex"),
        (b"bytes", TypeError, "bytes"),
    ],
)
def test_tensor_accepts_numbers_only(data, error, message):
    with pytest.raises(error, match=message) as err:
        mg.tensor(data)
    assert str(err.value).startswith("mg.tensor") and "\n" not in str(err.value)


def test_tensor_with_a_dtype_refuses_strings_in_one_sentence():
    with pytest.raises(TypeError, match=r"^mg.tensor cannot turn a list into dtype float32"):
        mg.tensor(["a"], dtype="float32")
    assert mg.tensor([True, False]).dtype == bool and mg.tensor([1, 2]).dtype.kind == "i"


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: nn.Linear(0, 3), ValueError, r"Linear: in_features must be a positive integer.*got 0"),
        (lambda: nn.Linear(3, -2), ValueError, r"Linear: out_features must be a positive integer.*got -2"),
        (lambda: nn.Linear(2.5, 3), TypeError, r"Linear: in_features must be a positive integer, got 2.5"),
        (lambda: nn.Linear(True, 3), TypeError, r"in_features must be a positive integer, got True"),
        (lambda: nn.Embedding(0, 4), ValueError, r"Embedding: num_embeddings"),
        (lambda: nn.Conv2d(3, 0, 3), ValueError, r"Conv2d: out_channels"),
        (lambda: nn.ConvTranspose2d(0, 3, 3), ValueError, r"ConvTranspose2d: in_channels"),
        (lambda: nn.Conv2d(1, 1, 0), ValueError, r"Conv2d: kernel_size must be positive"),
        (lambda: nn.Conv2d(1, 1, "3"), TypeError, r"Conv2d: kernel_size must be an int or a pair of ints"),
        (lambda: nn.Conv2d(1, 1, 3, stride=0), ValueError, r"Conv2d: stride must be positive"),
        (lambda: nn.Conv2d(1, 1, 3, padding=-1), ValueError, r"Conv2d: padding must be non-negative"),
        (lambda: nn.BatchNorm2d(0), ValueError, r"BatchNorm2d: num_features"),
        (lambda: nn.LayerNorm((4, 0)), ValueError, r"LayerNorm: normalized_shape\[1\]"),
        (lambda: nn.Dropout(1.5), ValueError, r"between 0 and 1, got p=1.5"),
        (lambda: nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2), ValueError, r"output_padding \(2, 2\)"),
    ],
)
def test_layer_sizes_and_settings_are_checked_when_the_layer_is_made(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    ("layer", "functional", "x", "expected"),
    [
        (nn.Linear(4, 2), lambda x, m: F.linear(x, m.weight, m.bias), zeros(3, 5),
         "input with 4 features in its last dimension"),
        (nn.Conv2d(2, 3, 3), lambda x, m: F.conv2d(x, m.weight), zeros(1, 5, 8, 8), "input with 2 channels"),
        (nn.Conv2d(2, 3, 5), lambda x, m: F.conv2d(x, m.weight), zeros(1, 2, 3, 8),
         "input height of at least 5 for a kernel of 5"),
        (nn.ConvTranspose2d(2, 3, 3), lambda x, m: F.conv_transpose2d(x, m.weight), zeros(1, 3, 4, 4),
         "input with 2 channels"),
        (nn.LayerNorm(6), lambda x, m: F.layer_norm(x, 6), zeros(2, 5),
         "input whose last dimensions are (6,)"),
        (nn.BatchNorm1d(4), lambda x, m: F.batch_norm(x, None, None, training=True), zeros(1, 4),
         "more than 1 value per channel when training (use a batch of 2 or more, or .eval())"),
        (nn.Flatten(2), lambda x, m: x.flatten(2), zeros(3, 4), "input with dimensions 2 to -1"),
    ],
    ids=["linear", "conv-channels", "conv-kernel", "conv-transpose", "layer-norm", "batch-norm", "flatten"],
)
def test_the_op_checks_and_the_layer_names_itself(layer, functional, x, expected):
    with pytest.raises(ValueError) as from_op:
        functional(x, layer)
    op_message = str(from_op.value)  # the op speaks for itself ...
    assert not op_message.startswith(type(layer).__name__ + "(") and str(tuple(x.shape)) in op_message
    with pytest.raises(ValueError) as from_layer:
        layer(x)
    message = str(from_layer.value)  # ... and the layer says the same under its own name, with the shape given
    assert message == f"{layer!r}: expected {expected}, got shape {tuple(x.shape)}."


def test_a_refused_batch_is_not_counted_by_batch_norm():
    bn = nn.BatchNorm1d(4)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(zeros(1, 4))
    assert int(bn.num_batches_tracked.data) == 0
    bn(mg.tensor(xp.ones((2, 4), dtype="float32")))
    assert int(bn.num_batches_tracked.data) == 1


def test_a_model_error_names_the_innermost_layer():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 1))
    with pytest.raises(ValueError, match=r"^Linear\(in_features=5, out_features=1\): expected input with 5 features"):
        model(zeros(2, 3))


def test_load_state_dict_names_the_key_holding_strings():
    layer = nn.Linear(2, 3)
    good = layer.state_dict()
    with pytest.raises(RuntimeError, match=r"weight: expected numbers, the state_dict holds strings") as err:
        layer.load_state_dict({"weight": np.full((3, 2), "x"), "bias": good["bias"]})
    assert "bias" not in str(err.value)
    with pytest.raises(RuntimeError, match=r"bias: expected numbers, the state_dict holds Python objects"):
        layer.load_state_dict({"weight": good["weight"], "bias": None})
    assert np.array_equal(layer.weight.numpy(), np.asarray(good["weight"]))  # nothing was applied
