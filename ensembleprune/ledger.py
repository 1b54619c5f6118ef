"""The training-cost ledger: what a fit cost, phase by phase.

Every fit of an ensemble records, for each phase of its training (the members,
a prune-and-tune parent and its children, each sparsity snapshot, each fold of
stacking, the combiner), how many members it trained, the optimizer steps and
examples they took, the multiply-adds of the dense matrix products that ran, and
the wall seconds. The counts follow from the architecture and the number of
steps alone (:func:`member_cost`), so that they can be checked by hand; the
seconds are measured.

Multiply-adds count the products TensorFlow runs, which are dense: a pruned
kernel is the dense kernel times its mask, so pruning saves no multiply-add
during training (only the stripped, compact model is cheaper to run). Per
training example a member costs one forward pass (``sum(n_in * n_out)`` over
its layers) and a backward pass of twice that, less the input layer's gradient
with respect to the inputs, which is not computed; per epoch each held-out
validation row costs one forward pass.
"""

COLUMNS = ("phase", "members", "optimizer_steps", "examples", "multiply_adds", "seconds")


def dense_multiply_adds(n_features, hidden_layer_sizes, n_outputs):
    """Multiply-adds of one example's forward pass through the dense kernels."""
    widths = [int(n_features), *map(int, hidden_layer_sizes), int(n_outputs)]
    return sum(n_in * n_out for n_in, n_out in zip(widths[:-1], widths[1:]))


def member_cost(hidden_layer_sizes, n_features, n_outputs, n_train, n_validation, epochs, steps_per_epoch):
    """What training one member for ``epochs`` epochs cost.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int
    n_features, n_outputs : int
    n_train, n_validation : int
        Rows trained on, and held-out rows evaluated after every epoch.
    epochs, steps_per_epoch : int
        Epochs actually run (a fused fit runs every member until the last stops).

    Returns
    -------
    dict with ``optimizer_steps``, ``examples`` and ``multiply_adds`` (int)
    """
    forward = dense_multiply_adds(n_features, hidden_layer_sizes, n_outputs)
    first_width = hidden_layer_sizes[0] if len(hidden_layer_sizes) else n_outputs
    first_layer = int(n_features) * int(first_width)
    examples = int(epochs) * int(n_train)
    return {
        "optimizer_steps": int(epochs) * int(steps_per_epoch),
        "examples": examples,
        "multiply_adds": examples * (3 * forward - first_layer) + int(epochs) * int(n_validation) * forward,
    }


class CostLedger:
    """The rows of one fit's ledger, added phase by phase; :meth:`as_dict` is the fitted attribute."""

    def __init__(self):
        self._rows = []

    def add(self, phase, trained, seconds):
        """Record ``phase``: the TrainedMembers it produced and its wall seconds.

        Members restored from a checkpoint carry no cost and are not counted:
        the ledger records what this fit ran.
        """
        costs = [member.cost for member in trained if member.cost is not None]
        row = {"phase": phase, "members": len(costs), "seconds": float(seconds)}
        for key in ("optimizer_steps", "examples", "multiply_adds"):
            row[key] = sum(cost[key] for cost in costs)
        self._rows.append(row)

    def add_seconds(self, phase, seconds):
        """Record a phase that trains no network (fitting the combiner, say)."""
        self._rows.append({"phase": phase, "members": 0, "optimizer_steps": 0, "examples": 0, "multiply_adds": 0,
                           "seconds": float(seconds)})

    def extend(self, other):
        """Append the rows of ``other``, a ledger of phases run elsewhere (a fold in a worker process)."""
        self._rows.extend(other._rows)

    def as_dict(self):
        """Columns of equal length, one entry per phase (``pandas.DataFrame(ledger)`` makes the table)."""
        return {column: [row[column] for row in self._rows] for column in COLUMNS}
