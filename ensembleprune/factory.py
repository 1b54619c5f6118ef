"""PrunedMLPFactory: build and train pruned MLP members.

A member is one MLP with its own seed, architecture and pruning schedule. The
factory holds the training options, turns them into a budget for a number of
rows (batch size, epochs, steps), builds each member's pruned layers and
callbacks, and prepares the data; the members then train *fused* (all of them
as branches of one tf_keras model, one ``fit``) or *independent* (one ``fit``
per member in joblib workers), as ``_member_training.py`` runs them.
"""

import numpy as np

from ._member_training import fit_prepared, member_validation, train_fused, train_independent
from ._tf import import_tf, training_settings
from .member import OUTPUT_LOSSES, MemberSpec, layer_sparsities  # noqa: F401 (MemberSpec re-exported)
from .options import TrainingOptions, option_names, options_of
from .trained import TrainedMember, kernel_sparsity
from .training_rows import TrainingRows, bootstrap_counts, float32_rows, hold_out

# epochs="auto": the optimizer steps a member trains for, within these bounds in epochs.
AUTO_STEPS = 6000
# batch_size="auto": about this many batches per epoch.
AUTO_BATCHES_PER_EPOCH = 32
# At 32 batches per epoch the budget is about 190 epochs. Below about 1,000 rows the batches stop shrinking
# (32 rows), so the same steps would be more passes over fewer rows, and the members memorized them; at most
# 200 epochs keeps the passes that the budget was chosen with (docs/performance.md, "At most 200 epochs").
# Above about 300,000 rows at least 20 passes are more steps than the budget, and they pay for their time: at a
# million rows the budget alone (7 epochs) left the members behind (docs/performance.md, "A million rows").
AUTO_MIN_EPOCHS, AUTO_MAX_EPOCHS = 20, 200
# Distinct, fixed offsets give every layer of a member its own initializer seed.
_LAYER_SEED_STRIDE = 7919


class PrunedMLPFactory:
    """Builds and trains pruned MLPs with tfmot's gradual magnitude pruning.

    Parameters
    ----------
    Keyword arguments only: the fields of
    :class:`~ensembleprune.options.TrainingOptions`, with its defaults.

    epochs : int or "auto", default=100
    batch_size : int or "auto", default=1024
        Capped at the number of training rows.
    learning_rate : float, default=1e-3
        Adam's learning rate.
    training : {"fused", "independent"}, default="fused"
        ``"fused"`` trains all members as branches of one model with one ``fit``
        and one loss per branch; ``"independent"`` runs one ``fit`` per member.
    n_jobs : int, default=None
        Processes for independent training (joblib; ``None`` means 1, ``-1`` all
        cores). Each worker gives TensorFlow the threads that joblib gives native
        libraries (its share of the cores). Inside
        ``joblib.parallel_config(backend="dask")`` the members run on the Dask
        cluster instead, with the threads Dask's nanny gives native libraries
        (``OMP_NUM_THREADS``: 1 per task unless configured).
    verbose : int, default=0
        0 silent, 1 one progress bar (over epochs when fused, over members when
        independent), 2 also Keras' per-epoch lines.
    bootstrap : bool, default=False
        Train each member on a bootstrap sample of the rows, drawn from the
        member's seed and given to it as per-row weights (bootstrap counts), so
        that fused members still share one input pipeline.
    early_stopping : bool, default=False
        Stop each member once its validation loss has not improved by more than
        ``tol`` for ``n_iter_no_change`` epochs, and give it back the weights of
        its best epoch. Epochs count only once the member's pruning schedule has
        finished, so a member is never stopped, nor restored, before it reaches
        its final sparsity. Validation data is ``validation_data`` when given to
        :meth:`train`, else a ``validation_fraction`` of the rows held out.
    validation_fraction : float, default=0.1
        Fraction of the rows held out for early stopping, in (0, 1).
    n_iter_no_change : int, default=10
        Epochs without improvement after which a member stops.
    tol : float, default=1e-4
        Smallest decrease of the validation loss that counts as an improvement.
    learning_rate_schedule : {"constant", "cosine"}, default="constant"
        ``"cosine"`` decays Adam's learning rate along a cosine from
        ``learning_rate`` at the first step to 1% of it at the last.

    ``epochs`` and ``batch_size`` may be ``"auto"``: batches of about a 32nd
    of the rows (a power of two from 32 to 1024), and a budget of
    ``AUTO_STEPS`` optimizer steps within ``AUTO_MIN_EPOCHS`` and
    ``AUTO_MAX_EPOCHS`` epochs: tables of a thousand to about 300,000 rows
    get the same steps, smaller tables, whose batches cannot shrink below 32
    rows, no more passes over their rows than that, and larger ones at least
    ``AUTO_MIN_EPOCHS`` passes, so more steps.

    Attributes
    ----------
    fused_cache : FusedModelCache or None
        Where set, fused fits keep their model there and a later fit of the
        same members on data of the same shape trains it again instead of
        building and tracing a new one (:mod:`ensembleprune._fused_cache`).
    """

    def __init__(self, **options):
        # The options, their defaults and their checks are declared once, in
        # TrainingOptions; the factory holds them as plain attributes, which
        # callers may adjust (a stacking fold's factory trains for more epochs).
        declared = TrainingOptions(**options)
        for name in option_names():
            setattr(self, name, getattr(declared, name))
        # Not an option: set by the callers that train the same members several times (cross-validation).
        self.fused_cache = None

    def _params(self):
        """The constructor arguments, to rebuild this factory in a worker process."""
        return options_of(self)

    def batch_size_for(self, n_samples):
        """The batch size for ``n_samples`` training rows (``batch_size``, or the "auto" rule)."""
        if self.batch_size == "auto":
            # About 32 batches per epoch, in powers of two from 32 to 1024: a few
            # hundred rows get batches of 32, so many optimizer steps rather than
            # one per epoch, and small batches generalize better on wide data
            # (docs/performance.md has the measurements behind the defaults).
            batch_size = 2 ** int(np.clip(np.round(np.log2(max(n_samples, 1) / AUTO_BATCHES_PER_EPOCH)), 5, 10))
        else:
            batch_size = self.batch_size
        return min(int(batch_size), n_samples)

    def steps_per_epoch(self, n_samples):
        return -(-n_samples // self.batch_size_for(n_samples))

    def epochs_for(self, n_samples):
        """The epochs for ``n_samples`` training rows (``epochs``, or the "auto" budget of optimizer steps)."""
        if self.epochs != "auto":
            return int(self.epochs)
        # A budget in optimizer steps, not epochs, so that 1,000 rows train as long as 100,000; fewer rows
        # reach AUTO_MAX_EPOCHS first.
        epochs = -(-AUTO_STEPS // self.steps_per_epoch(n_samples))
        return int(np.clip(epochs, AUTO_MIN_EPOCHS, AUTO_MAX_EPOCHS))

    def build(self, spec, n_features, n_outputs, n_samples):
        """Return one pruned, compiled tf_keras MLP for ``spec``, to train on ``n_samples`` rows."""
        _, keras, _ = import_tf()
        inputs = keras.Input(shape=(n_features,), name="features")
        model = keras.Model(inputs, self._branch(spec, inputs, n_outputs, n_samples, "member"))
        model.compile(optimizer=self._optimizer(n_samples), loss=OUTPUT_LOSSES[spec.output_activation])
        return model

    def _optimizer(self, n_samples):
        """Adam, with its learning rate constant or decayed along a cosine to 1% of it at the last step."""
        _, keras, _ = import_tf()
        learning_rate = float(self.learning_rate)
        if self.learning_rate_schedule == "cosine":
            total_steps = self.steps_per_epoch(n_samples) * self.epochs_for(n_samples)
            learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, int(total_steps), alpha=0.01)
        return keras.optimizers.Adam(learning_rate)

    @staticmethod
    def layer_finals(spec, n_features, n_outputs):
        """The final sparsity of each layer of a member of ``spec`` on ``n_features`` inputs, input to output."""
        widths = [spec.n_inputs(n_features), *spec.hidden_layer_sizes, int(n_outputs)]
        return layer_sparsities(spec.final_sparsity, list(zip(widths[:-1], widths[1:])), spec.sparsity_allocation)

    def _branch(self, spec, inputs, n_outputs, n_samples, name, initial_layers=None):
        """The pruned layers of one member, applied to ``inputs``.

        ``initial_layers`` (a child's start, its parent's sparsity per layer)
        replaces the schedule's initial sparsity layer by layer.
        """
        _, keras, _ = import_tf()
        from ._training import PruneLowMagnitude
        steps_per_epoch, epochs = self.steps_per_epoch(n_samples), self.epochs_for(n_samples)
        widths = list(spec.hidden_layer_sizes) + [n_outputs]
        x = inputs if spec.input_columns is None else inputs[:, :spec.input_columns]
        layer_finals = self.layer_finals(spec, int(inputs.shape[-1]), n_outputs)
        for index, width in enumerate(widths):
            layer_schedule = spec.schedule.with_final_sparsity(layer_finals[index])
            if initial_layers is not None:
                layer_schedule = layer_schedule.starting_at(initial_layers[index])
            schedule = layer_schedule.to_tfmot(steps_per_epoch, epochs)
            is_output = index == len(widths) - 1
            seed = spec.seed + _LAYER_SEED_STRIDE * index
            initializer = (
                keras.initializers.GlorotUniform(seed=seed) if is_output else keras.initializers.HeNormal(seed=seed)
            )
            dense = keras.layers.Dense(
                width,
                activation=spec.output_activation if is_output else spec.activation,
                kernel_initializer=initializer,
                name=f"{name}_dense_{index}",
            )
            blocks = {}
            if index == 0 and spec.input_pruning in ("features", "screened"):
                # One block per input feature: how far training moved the block decides whether the feature stays.
                blocks = {"block_size": (1, width), "block_pooling_type": "AVG",
                          "reserved_only": spec.input_pruning == "screened"}
            x = PruneLowMagnitude(dense, pruning_schedule=schedule, name=f"{name}_pruned_{index}", **blocks)(x)
        return x

    def train(self, X, y, members, sample_weight=None, validation_data=None, on_trained=None, validation_rows=None,
              parents=None, parent_masks="magnitude"):
        """Train ``members`` on ``(X, y)``, from scratch or from trained parents.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        y : array of shape (n_samples,) or (n_samples, n_outputs)
        members : list of MemberSpec
        sample_weight : array of shape (n_members, n_samples), default=None
            One weight vector per member. With ``bootstrap=True`` each member's
            bootstrap counts multiply its weights.
        validation_data : tuple (X_val, y_val), default=None
            Evaluated after every epoch and recorded as ``val_loss``; with
            ``early_stopping=True`` it replaces the held-out fraction.
        on_trained : callable, default=None
            Called as ``on_trained(index, trained_member)`` as soon as each member
            has finished (to save it, for example).
        validation_rows : array of int, default=None
            Rows of ``X`` held out as validation data instead of
            ``validation_fraction`` of them drawn here (ignored when
            ``validation_data`` is given).
        parents : list of TrainedMember, default=None
            One per member: the member starts from its parent's weights and
            masks instead of a fresh initialization, and its pruning goes on
            from the parent's sparsity, layer by layer, to its own (members
            with parents always train fused). The members need the parents'
            architecture.
        parent_masks : {"magnitude", "random"}, default="magnitude"
            ``"random"`` prunes each member at once, at random among its
            parent's live weights, to its final sparsity (drawn from its seed),
            so that members of one parent keep different weights; its mask then
            stays as it is.

        Returns
        -------
        list of TrainedMember, in the order of ``members``.
        """
        members = list(members)
        if not members:
            raise ValueError("members is empty: give at least one MemberSpec")
        if parents is not None and len(parents) != len(members):
            raise ValueError(f"parents must give one TrainedMember per member, got {len(parents)} for {len(members)}")
        if parent_masks not in ("magnitude", "random"):
            raise ValueError(f"parent_masks must be 'magnitude' or 'random', got {parent_masks!r}")
        X, y, weights, validation_data = self._prepare(X, y, members, sample_weight, validation_data, validation_rows)
        on_trained = on_trained or (lambda index, member: None)
        with training_settings(quiet=self.verbose == 0):
            if self.training == "fused" or parents is not None:
                return train_fused(self, X, y, members, weights, validation_data, on_trained, parents, parent_masks)
            return train_independent(self, X, y, members, weights, validation_data, on_trained)

    def fit_one(self, X, y, spec, sample_weight=None, validation_data=None):
        """Train one member in this process and return its TrainedMember.

        ``sample_weight`` is one weight per row; bootstrap and early stopping
        apply as in :meth:`train`.
        """
        weights = None if sample_weight is None else [sample_weight]
        X, y, weights, validation_data = self._prepare(X, y, [spec], weights, validation_data)
        with training_settings(quiet=self.verbose == 0):
            return fit_prepared(self, X, y, spec, weights[0], member_validation(validation_data, 0), progress_bar=True)

    def restore(self, spec, weights, n_features, n_outputs, n_samples, history, best_epoch=None):
        """Rebuild a TrainedMember from its pruned model's weights (from a worker or a checkpoint)."""
        model = self.build(spec, n_features, n_outputs, n_samples)
        model.set_weights(weights)
        return TrainedMember(spec, model, history, kernel_sparsity(model), best_epoch)

    def _prepare(self, X, y, members, sample_weight, validation_data, validation_rows=None):
        """Cast the data, hold out the validation rows, draw the bootstrap weights.

        Returns ``(X, y, weights, validation_data)`` where ``weights`` holds one
        row-weight vector (or None) per member. Fails on a schedule that cannot
        finish inside training before anything is trained.
        """
        X = np.asarray(X)
        y = np.asarray(y, dtype=np.float32).reshape(len(X), -1)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float32)
            if sample_weight.shape != (len(members), len(X)):
                raise ValueError(
                    f"sample_weight must have shape (n_members, n_samples) = {(len(members), len(X))}, "
                    f"got {sample_weight.shape}: give one weight per row for every member."
                )
        if validation_data is not None:
            X_val, y_val = validation_data
            validation_data = (float32_rows(X_val), np.asarray(y_val, np.float32).reshape(len(X_val), -1))
        if validation_data is None and (self.early_stopping or validation_rows is not None):
            if validation_rows is None:
                validation_rows = self.validation_rows(len(X), [spec.seed for spec in members])
            X, y, sample_weight, validation_data = hold_out(X, y, sample_weight, validation_rows)
        else:
            X = TrainingRows(X)
        weights = [None] * len(members) if sample_weight is None else list(sample_weight)
        if self.bootstrap:
            weights = [bootstrap_counts(spec.seed, len(X)) * (1 if w is None else w) for spec, w in zip(members, weights)]
        for spec in members:
            spec.schedule.steps(self.steps_per_epoch(len(X)), self.epochs_for(len(X)))
        return X, y, weights, validation_data

    def n_validation(self, n_samples):
        """How many of ``n_samples`` rows are held out for validation."""
        return int(round(self.validation_fraction * n_samples))

    def validation_rows(self, n_samples, seeds):
        """The ``validation_fraction`` of ``n_samples`` rows held out for validation, drawn from ``seeds``.

        Fused members share one input pipeline, so they share one split; it is
        drawn from all the members' seeds so that it does not depend on
        ``training``.
        """
        n_validation = self.n_validation(n_samples)
        if n_validation < 1 or n_validation >= n_samples:
            raise ValueError(
                f"cannot hold out validation_fraction={self.validation_fraction} of {n_samples} rows "
                f"(n_samples = {n_samples}) and keep rows for both training and validation; give more rows or "
                "change validation_fraction (or set early_stopping=False and a combine other than 'select')."
            )
        return np.sort(np.random.default_rng(list(seeds)).permutation(n_samples)[:n_validation])

    def _fit_kwargs(self, n_samples):
        # The training batches repeat without end and Keras counts the epochs: one iterator for the whole
        # fit instead of one per epoch (each epoch still every row once, reshuffled).
        return dict(epochs=self.epochs_for(n_samples), steps_per_epoch=self.steps_per_epoch(n_samples),
                    verbose=2 if self.verbose >= 2 else 0)

    def _pruning_end_epoch(self, spec, n_samples):
        """First (0-based) epoch at whose end the member's pruning schedule has finished."""
        steps_per_epoch = self.steps_per_epoch(n_samples)
        _, end_step, _ = spec.schedule.steps(steps_per_epoch, self.epochs_for(n_samples))
        # tfmot counts steps from 1: epoch e ends after step (e + 1) * steps_per_epoch.
        return -(-end_step // steps_per_epoch) - 1

    def _callbacks(self, watches, progress_description, n_samples, validation=None):
        """UpdatePruningStep first, so that later callbacks see this epoch's masked weights.

        ``validation`` (a :class:`~ensembleprune._training.ValidationLosses`)
        comes next, so that early stopping and the progress bar read its losses.
        """
        from . import _training

        callbacks = [_training.UpdatePruningStep()]
        if validation is not None:
            callbacks.append(validation)
        if self.early_stopping:
            callbacks.append(_training.MemberEarlyStopping(watches, self.n_iter_no_change, self.tol))
        if self.verbose >= 1 and progress_description:
            callbacks.append(_training.EpochProgress(self.epochs_for(n_samples), progress_description, watches))
        return callbacks
