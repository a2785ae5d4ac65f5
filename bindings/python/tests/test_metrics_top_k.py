"""Precision and Recall with `top_k` keep each row's k highest predictions along the last axis,
as Keras's do: a 1-D batch of predictions is one row (Keras's docstring example: top_k=2 of
four equal scores keeps the first two), a 2-D batch one row per sample. Against real Keras on
the same values."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import real_keras

RS = np.random.RandomState(5)
CASES = {
    "docstring_top_2": ([0, 0, 1, 1], [1, 1, 1, 1], 2),
    "docstring_top_4": ([0, 0, 1, 1], [1, 1, 1, 1], 4),
    "vector_top_1": ([0, 1, 0, 1, 1], [0.2, 0.9, 0.4, 0.3, 0.8], 1),
    "vector_top_3": ([0, 1, 0, 1, 1], [0.2, 0.9, 0.4, 0.3, 0.8], 3),
    "matrix_top_2": ((RS.rand(6, 4) > 0.5).astype("float32"), RS.rand(6, 4).astype("float32"), 2),
}
PARAMS = [(m, c) for m in ("Precision", "Recall") for c in CASES]


@pytest.mark.parametrize("metric,case", PARAMS, ids=[f"{m}-{c}" for m, c in PARAMS])
def test_top_k_matches_keras(metric, case):
    keras = real_keras()
    y_true, y_pred, k = CASES[case]
    results = []
    for lib in (sk, keras):
        m = getattr(lib.metrics, metric)(top_k=k)
        m.update_state(y_true, y_pred)
        results.append(float(np.asarray(m.result())))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_sample_weight_with_top_k_on_1d_predictions_is_refused_by_name():
    m = sk.metrics.Precision(top_k=2)
    with pytest.raises(ValueError, match="sample_weight with top_k on 1-D predictions"):
        m.update_state([0, 1, 1], [0.2, 0.9, 0.4], sample_weight=[1, 2, 1])
    m.update_state([0, 1, 1], [0.2, 0.9, 0.4])   # (nothing was kept of the refused batch)
    assert float(m.result()) == 1.0   # (the two kept, 0.9 and 0.4, are both true)
