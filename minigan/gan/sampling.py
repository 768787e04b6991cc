"""Drawing from a trained generator: :func:`sample`, the one way every example makes its pictures and metrics."""

import minigan as mg


def sample(G, *inputs, batch_size=None):
    """``G(*inputs)`` in eval mode and without a graph; G's train/eval mode is restored afterwards.

    Eval mode makes BatchNorm use its running statistics (and turns Dropout
    off), so a sample does not depend on the other samples of its batch, and
    no graph is recorded, so nothing is kept for a backward that will not come.
    With ``batch_size``, the inputs (noise, labels, images: anything sliced
    along its first axis) go through G that many rows at a time, and the
    outputs are concatenated: memory stays bounded for thousands of samples.
    """
    was_training = G.training
    G.eval()
    try:
        with mg.no_grad():
            n = len(inputs[0])
            step = n if batch_size is None else batch_size
            parts = [G(*(x[i:i + step] for x in inputs)) for i in range(0, n, step)]
    finally:
        G.train(was_training)
    return parts[0] if len(parts) == 1 else mg.cat(parts, axis=0)
