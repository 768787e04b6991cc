"""The digit classifier that reads generated digits for :func:`minigan.metrics.digit_metrics`.

A small convolutional network, trained with minigan itself by
``scripts/train_digit_classifier.py`` on nine tenths of the bundled digits
(:func:`digit_split`) and shipped as ``minigan/datasets/digit_classifier.npz``.
"""

import functools
import os

from minigan import backend, nn
from minigan.backend import xp
from minigan.tensor import Tensor, no_grad


class ClassifierError(ValueError):
    """The classifier's weights are missing, or the images it is given are not (N, 1, 28, 28) finite digits."""


CLASSIFIER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "datasets", "digit_classifier.npz")
HELD_OUT_EVERY = 10  # every 10th bundled digit is held out: 50 per class, since they are sorted by label
N_CLASSES = 10
FEATURES = 64


class DigitClassifier(nn.Module):
    """A small convolutional classifier for 28x28 digits in [-1, 1].

        features: Conv(1->16, 3, stride 2, pad 1) -> LeakyReLU(0.2)     28 -> 14
                  Conv(16->32, 3, stride 2, pad 1) -> LeakyReLU(0.2)    14 -> 7
                  Flatten -> Linear(32*7*7 -> 64) -> LeakyReLU(0.2)      the 64-d feature space
        head:     Linear(64 -> 10)                                       class logits

    The Fréchet distance of :func:`digit_metrics` is measured on ``features``.
    """

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(16, 32, 3, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, FEATURES),
            nn.LeakyReLU(0.2),
        )
        self.head = nn.Linear(FEATURES, N_CLASSES)

    def forward(self, x):
        return self.head(self.features(x))


def digit_split(n=5000):
    """Indices ``(train, held_out)`` of the bundled digits: every ``HELD_OUT_EVERY``-th digit is held out."""
    index = xp.arange(n)
    held = index % HELD_OUT_EVERY == 0
    return index[~held], index[held]


@functools.lru_cache(maxsize=1)
def load_digit_classifier(path=CLASSIFIER_PATH):
    """The trained :class:`DigitClassifier`, in eval mode, read from ``path`` (pickles refused). Cached."""
    if not os.path.isfile(path):
        raise ClassifierError(
            f"The digit classifier weights {path} are missing; "
            "reinstall minigan or retrain them with scripts/train_digit_classifier.py."
        )
    model = DigitClassifier()
    model.load_state_dict(backend.load_npz(path))
    return model.eval()


def classify_digits(images, batch_size=500):
    """Features (N, 64) and class probabilities (N, 10) of images (N, 1, 28, 28) in [-1, 1], float64."""
    x = images.data if isinstance(images, Tensor) else backend.asarray(images)
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28) or len(x) == 0:
        raise ClassifierError(f"digit images must have shape (N, 1, 28, 28) with N >= 1, got {tuple(x.shape)}.")
    if not bool(xp.isfinite(x).all()):
        raise ClassifierError("digit images contain NaN or infinity; check the generator's output.")
    model = load_digit_classifier()
    features, logits = [], []
    with no_grad():
        for start in range(0, len(x), batch_size):
            f = model.features(Tensor(x[start : start + batch_size].astype("float32")))
            features.append(f.data)
            logits.append(model.head(f).data)
    logits = xp.concatenate(logits).astype("float64")
    logits = logits - logits.max(axis=1, keepdims=True)
    probs = xp.exp(logits)
    return xp.concatenate(features).astype("float64"), probs / probs.sum(axis=1, keepdims=True)
