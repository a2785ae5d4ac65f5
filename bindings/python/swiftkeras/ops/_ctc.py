"""Keras `ops.nn.ctc_loss` and `ops.nn.ctc_decode` on values (numpy). The loss is optax's
forward algorithm in log space, as Keras computes it (blank = `mask_index`, logits in, one
loss per sequence); decoding is greedy or a prefix beam search, with Keras's output layout.

In a traced layer (or a traced compute_loss) the loss is the library's ctc_loss graph op: the
same recursion per sample, over the label and time-step counts its length tensors hold at run
time (so a label Input of unknown length traces), with its reverse-mode gradient. Decoding stays on values: its results are integer paths (an argmax or a beam search),
which Keras does not differentiate either."""

from __future__ import annotations

import numpy as np

from ._trace import Unsupported, is_symbolic

_f32 = np.float32
_LOG_EPSILON = -1e5
_PAD = -1


def _refuse_traced(op, *xs):
    if any(is_symbolic(x) for x in xs):
        raise Unsupported(f"ops.nn.{op} is not traceable here: its results are integer label "
                          f"paths (an argmax or a beam search), which have no gradient, in Keras "
                          f"either; call it on values (e.g. on predict's output)")


def _log_softmax(v):
    s = v - v.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def _values(x, dtype):
    from . import _value
    return np.asarray(_value(x) if dtype == _f32 else np.asarray(x), dtype)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Keras `ops.nn.ctc_loss`: target (B, L) class ids, output (B, T, C) logits, lengths (B,);
    the negative log-likelihood of each target, shape (B,)."""
    if any(is_symbolic(x) for x in (target, output, target_length, output_length)):
        return _traced_ctc_loss(target, output, target_length, output_length, int(mask_index))
    target = _values(target, np.int32)
    output = _values(output, _f32).astype(np.float64)
    target_length = _values(target_length, np.int32)
    output_length = _values(output_length, np.int32)
    if output.ndim != 3 or target.ndim != 2 or target.shape[0] != output.shape[0]:
        raise ValueError(f"ops.nn.ctc_loss: expects target (batch, labels) and output (batch, time, "
                         f"classes), got {target.shape} and {output.shape}")
    batch, steps, classes = output.shape
    labels = target.shape[1]
    if not 0 <= mask_index < classes:
        raise ValueError(f"ops.nn.ctc_loss: mask_index {mask_index} is not a class of {classes}")
    logprobs = _log_softmax(output)
    target_pad = np.arange(labels)[None, :] >= target_length[:, None]
    output_pad = (np.arange(steps)[None, :] >= output_length[:, None]).astype(np.float64)
    label_lengths = labels - target_pad.sum(axis=1)
    repeat = np.pad((target[:, :-1] == target[:, 1:]).astype(np.float64), ((0, 0), (0, 1)))
    hot = np.eye(classes)[np.clip(target, 0, classes - 1)] * ((target >= 0) & (target < classes))[..., None]
    emit = np.einsum("btk,bnk->tbn", logprobs, hot)                 # (T, B, L)
    phi_lp = np.transpose(logprobs[:, :, mask_index:mask_index + 1], (1, 0, 2))  # (T, B, 1)

    def update(phi, added):
        return np.concatenate([phi[:, :1], np.logaddexp(phi[:, 1:], added)], axis=-1)

    phi = np.full((batch, labels + 1), _LOG_EPSILON)
    phi[:, 0] = 0.0
    em = np.full((batch, labels), _LOG_EPSILON)
    for t in range(steps):
        prev_phi = update(phi, em + _LOG_EPSILON * repeat)
        next_emit = np.logaddexp(prev_phi[:, :-1] + emit[t], em + emit[t])
        next_phi = update(prev_phi + phi_lp[t], em + phi_lp[t] + _LOG_EPSILON * (1.0 - repeat))
        pad = output_pad[:, t:t + 1]
        em = pad * em + (1.0 - pad) * next_emit
        phi = pad * phi + (1.0 - pad) * next_phi
    last = update(phi, em)
    return (-last[np.arange(batch), label_lengths]).astype(_f32)


def _shape(x):
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _traced_ctc_loss(target, output, target_length, output_length, mask_index):
    """The graph's ctc_loss op (the library's recursion, per sample over the lengths it reads at
    run time, so labels and time steps may be of unknown number), with Keras's checks."""
    from . import _op
    out_shape, tgt_shape = _shape(output), _shape(target)
    if len(out_shape) != 3 or len(tgt_shape) != 2:
        raise ValueError(f"ops.nn.ctc_loss: expects target (batch, labels) and output (batch, time, "
                         f"classes), got {tgt_shape} and {out_shape}")
    classes = out_shape[2]
    if classes is not None and not 0 <= mask_index < classes:
        raise ValueError(f"ops.nn.ctc_loss: mask_index {mask_index} is not a class of {classes}")
    for name, length in (("target_length", target_length), ("output_length", output_length)):
        if len(_shape(length)) != 1:
            raise ValueError(f"ops.nn.ctc_loss: {name} must have shape (batch,), got {_shape(length)}")
    return _op("ctc_loss", [target, output, target_length, output_length], None,
               {"mask_index": mask_index})


def _greedy(inputs, lengths, merge_repeated, mask_index):
    batch, steps, _ = inputs.shape
    indices = inputs.argmax(axis=-1).astype(np.int32)
    scores = inputs.max(axis=-1)
    beyond = np.arange(steps)[None, :] >= lengths[:, None]
    indices = np.where(beyond, mask_index, indices)
    scores = np.where(beyond, 0.0, scores)
    if merge_repeated:
        repeated = np.pad(indices[:, 1:] == indices[:, :-1], ((0, 0), (1, 0)))
        indices = np.where(repeated, mask_index, indices)
    blank = indices == mask_index
    indices = np.where(blank, -1, indices)
    order = np.argsort(np.where(blank, steps, np.arange(steps)[None, :]), axis=-1, kind="stable")
    indices = np.take_along_axis(indices, order, axis=-1)
    return indices[None].astype(np.int32), (-scores.sum(axis=1, keepdims=True)).astype(_f32)


def _merge(inverse, scores, count):
    top = np.max(scores)
    merged = np.zeros(count)
    if np.isfinite(top):
        np.add.at(merged, inverse, np.exp(scores - top))
    with np.errstate(divide="ignore"):
        return np.log(merged) + (top if np.isfinite(top) else 0.0)


def _unique_paths(paths, width):
    unique, inverse = np.unique(paths, return_inverse=True, axis=0)
    unique = np.pad(unique, [(0, max(width - len(unique), 0)), (0, 0)], constant_values=_PAD)[:width]
    return unique, inverse.reshape(-1)


def _beam_one(x, lengths_mask, beam_width, top_paths, mask_index, classes):
    """One sequence's prefix beam search, as Keras's numpy/jax backends compute it (classes
    flipped so that ties break as tf's)."""
    steps = x.shape[0]
    width = 2 * classes * beam_width
    paths = np.full((2 * beam_width, steps), _PAD, np.int64)
    first = min(classes, beam_width)
    best = np.argsort(x[0])[-first:]
    paths[:first, 0] = np.where(best == mask_index, _PAD, best)
    scores = np.full(2 * beam_width, -np.inf)
    scores[:first] = x[0][best]
    masked = paths[:, 0] == _PAD
    for t in range(1, steps):
        if lengths_mask[t]:
            continue
        p = np.repeat(paths, classes, axis=0)
        s = np.repeat(scores, classes)
        m = np.repeat(masked, classes)
        tail_at = np.argmax(p == _PAD, axis=1)
        rows = np.arange(len(p))
        tails = np.where(tail_at == 0, _PAD, p[rows, tail_at - 1])
        cls = np.arange(classes)
        cls[mask_index] = _PAD
        cls = np.tile(cls, 2 * beam_width)
        new_masked = cls == _PAD
        cls = np.where(~m & (tails == cls), _PAD, cls)
        p[rows, tail_at] = cls
        s = s + np.tile(x[t], 2 * beam_width)
        unique, inverse = _unique_paths(p, width)
        emit = _merge(inverse, np.where(new_masked, -np.inf, s), width)
        blank = _merge(inverse, np.where(new_masked, s, -np.inf), width)
        keep = np.argsort(np.logaddexp(emit, blank), kind="stable")[-beam_width:]
        paths = np.tile(unique[keep], (2, 1))
        scores = np.concatenate([emit[keep], blank[keep]])
        masked = np.concatenate([np.zeros(beam_width, bool), np.ones(beam_width, bool)])
    unique, inverse = _unique_paths(paths, width)
    merged = _merge(inverse, scores, width)
    top = np.argsort(merged)[-top_paths:][::-1]
    return unique[top], merged[top]


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Keras `ops.nn.ctc_decode`: (decoded, scores). Greedy: decoded (1, B, T) int32 with -1
    after each sequence's labels, scores (B, 1) the negated sum of the best scores; beam
    search: decoded (top_paths, B, T), scores (B, top_paths) log-probabilities."""
    _refuse_traced("ctc_decode", inputs, sequence_lengths)
    x = _values(inputs, _f32).astype(np.float64)
    lengths = _values(sequence_lengths, np.int32)
    if x.ndim != 3:
        raise ValueError(f"ops.nn.ctc_decode: expects inputs (batch, time, classes), got {x.shape}")
    batch, steps, classes = x.shape
    if mask_index is None:
        mask_index = classes - 1
    if strategy == "greedy":
        return _greedy(x, lengths, merge_repeated, mask_index)
    if strategy != "beam_search":
        raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'.")
    x = np.flip(_log_softmax(x), axis=2)
    flipped_mask = classes - mask_index - 1
    beyond = np.arange(steps)[None, :] >= lengths[:, None]
    results = [_beam_one(x[b], beyond[b], beam_width, top_paths, flipped_mask, classes) for b in range(batch)]
    paths = np.stack([r[0] for r in results])
    paths = np.where(paths == _PAD, _PAD, classes - paths - 1)
    return (np.transpose(paths, (1, 0, 2)).astype(np.int32),
            np.stack([r[1] for r in results]).astype(_f32))


__all__ = ["ctc_loss", "ctc_decode"]
