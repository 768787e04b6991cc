"""The digit classifier that reads generated digits: its held-out split, its accuracy, its errors."""

import pytest

from minigan import backend, classifier, data
from minigan.backend import xp
from minigan.classifier import ClassifierError


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


def test_held_out_split_is_disjoint_with_50_digits_per_class(digits):
    _, labels = digits
    train, held = classifier.digit_split(len(labels))
    assert len(train) + len(held) == 5000 and len(set(train.tolist()) & set(held.tolist())) == 0
    assert backend.to_numpy(xp.bincount(labels[held], minlength=10)).tolist() == [50] * 10


def test_shipped_classifier_reads_held_out_digits_at_95_percent(digits):
    images, labels = digits
    _, held = classifier.digit_split(len(labels))
    features, probs = classifier.classify_digits(images[held])
    assert features.shape == (500, classifier.FEATURES) and probs.shape == (500, 10)
    assert float(xp.abs(probs.sum(axis=1) - 1).max()) < 1e-12
    assert float((probs.argmax(axis=1) == labels[held]).mean()) >= 0.95


def test_missing_weights_say_how_to_get_them(tmp_path):
    with pytest.raises(ClassifierError, match="train_digit_classifier.py"):
        classifier.load_digit_classifier(str(tmp_path / "missing.npz"))
