"""PrunedMLPFactory: build and train pruned MLP members.

A member is one MLP with its own seed, architecture and pruning schedule. The
factory trains a list of members either *fused* (all members as branches of one
tf_keras model, one ``fit``; far less Python and framework overhead per member)
or *independent* (one ``fit`` per member, spread over processes with joblib, so
``joblib.parallel_config(backend="dask")`` spreads them over a cluster).
"""

import numpy as np
from joblib import Parallel, delayed

from ._fused_cache import FusedModel
from ._tf import import_tf, training_settings
from .ledger import member_cost
from .member import OUTPUT_LOSSES, MemberSpec, layer_sparsities
from .options import TrainingOptions, option_names, options_of
from .trained import TrainedMember, _as_floats, _log_key, _MemberWatch, _pruned_layers, kernel_sparsity  # noqa: F401
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
            if index == 0 and spec.input_pruning == "features":
                # One block per input feature: the block's mean magnitude decides whether the feature stays.
                blocks = {"block_size": (1, width), "block_pooling_type": "AVG"}
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
                return self._train_fused(X, y, members, weights, validation_data, on_trained, parents, parent_masks)
            return self._train_independent(X, y, members, weights, validation_data, on_trained)

    def fit_one(self, X, y, spec, sample_weight=None, validation_data=None):
        """Train one member in this process and return its TrainedMember.

        ``sample_weight`` is one weight per row; bootstrap and early stopping
        apply as in :meth:`train`.
        """
        weights = None if sample_weight is None else [sample_weight]
        X, y, weights, validation_data = self._prepare(X, y, [spec], weights, validation_data)
        with training_settings(quiet=self.verbose == 0):
            validation_data = _member_validation(validation_data, 0)
            return self._fit_prepared(X, y, spec, weights[0], validation_data, progress_bar=True)

    def _starting_sparsities(self, members, parents, parent_masks, n_features, n_outputs):
        """Each member's sparsity per layer when its training starts (None: the schedule's own)."""
        if parents is None:
            return [None] * len(members)
        if parent_masks == "magnitude":
            return [parent.layer_sparsity for parent in parents]
        return [
            [max(final, start) for final, start in zip(self.layer_finals(spec, n_features, n_outputs), parent.layer_sparsity)]
            for spec, parent in zip(members, parents)
        ]

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

    def _train_fused(self, X, y, members, weights, validation_data, on_trained, parents=None, parent_masks="magnitude"):
        _, keras, _ = import_tf()
        keras.utils.set_random_seed(members[0].seed)
        fused = self._fused_model(X.shape[1], y.shape[1], len(X), members, parents, parent_masks)
        names = fused.names
        watches = [
            _MemberWatch(_log_key(name, len(names), validation=True), _pruned_layers(model),
                         self._pruning_end_epoch(spec, len(X)))
            for name, spec, model in zip(names, members, fused.member_models)
        ]
        targets = [y]
        if any(w is not None for w in weights):
            targets.append(np.stack([np.ones(len(X), np.float32) if w is None else w for w in weights], axis=1))

        def per_member(x, y, weights=None):
            # One target (and weight column) per branch, as Keras' multi-output fit wants them.
            ys = {n: y for n in names}
            return (x, ys) if weights is None else (x, ys, {n: weights[:, k] for k, n in enumerate(names)})

        batches = X.dataset(targets, self.batch_size_for(len(X)), members[0].seed, structure=per_member)
        validation = _validation_losses(validation_data, [watch.log_key for watch in watches],
                                        [OUTPUT_LOSSES[spec.output_activation] for spec in members], names,
                                        fused.validation_function)
        result = fused.model.fit(
            batches.repeat(),
            callbacks=self._callbacks(
                watches, f"training {len(members)} fused members" if len(members) > 1 else "training 1 member", len(X),
                validation,
            ),
            **self._fit_kwargs(len(X)),
        )
        if validation is not None:
            fused.validation_function = validation.function
        n_validation = 0 if validation_data is None else len(validation_data[0])
        trained = [
            self._trained_member(spec, model, result.history, name, len(names), watch, len(X), n_validation)
            for name, spec, model, watch in zip(names, members, fused.member_models, watches)
        ]
        for index, member in enumerate(trained):
            on_trained(index, member)
        return trained

    def _fused_model(self, n_features, n_outputs, n_samples, members, parents, parent_masks):
        """The fused model of ``members``: built and compiled, or ``fused_cache``'s, reset, where it fits.

        Members with parents start from their parents' weights, so they are
        always built anew.
        """
        key = None
        if self.fused_cache is not None and parents is None:
            # Everything the traced graph holds as a constant: the specs (schedules, seeds, losses), the shapes,
            # the schedules' steps and the optimizer's settings.
            key = (list(members), n_features, n_outputs, self.steps_per_epoch(n_samples), self.epochs_for(n_samples),
                   self.learning_rate, self.learning_rate_schedule)
            fused = self.fused_cache.reuse(key)
            if fused is not None:
                return fused
        _, keras, _ = import_tf()
        inputs = keras.Input(shape=(n_features,), name="features")
        names = [f"member_{i}" for i in range(len(members))]
        starts = self._starting_sparsities(members, parents, parent_masks, n_features, n_outputs)
        outputs = {
            name: keras.layers.Identity(name=name)(self._branch(spec, inputs, n_outputs, n_samples, name, start))
            for name, spec, start in zip(names, members, starts)
        }
        model = keras.Model(inputs, outputs)
        # Each branch has its own Adam slots, so one optimizer over the fused model
        # updates every member exactly as its own optimizer would. Neither
        # jit_compile (XLA) nor steps_per_execution is used: on CPU both measured
        # slower or no faster (docs/performance.md, "Training options tried").
        model.compile(optimizer=self._optimizer(n_samples),
                      loss={n: OUTPUT_LOSSES[spec.output_activation] for n, spec in zip(names, members)})
        member_models = [keras.Model(inputs, outputs[name]) for name in names]
        if parents is not None:
            from ._training import inherit

            for spec, member_model, parent, start in zip(members, member_models, parents, starts):
                seed = spec.seed if parent_masks == "random" else None
                inherit(_pruned_layers(parent.model), _pruned_layers(member_model), start, seed)
        _create_training_variables(model)
        fused = FusedModel(model, names, member_models, model.get_weights())
        if key is not None:
            self.fused_cache.keep(key, fused)
        return fused

    def _trained_member(self, spec, model, fit_history, name, n_branches, watch, n_train, n_validation):
        """The TrainedMember of one branch, its history cut where it stopped early, with its cost."""
        history = {"loss": fit_history[_log_key(name, n_branches)]}
        if watch.log_key in fit_history:
            history["val_loss"] = fit_history[watch.log_key]
        # A fused fit runs every branch until the last member stops: its cost counts every epoch run.
        cost = member_cost(spec.hidden_layer_sizes, spec.n_inputs(model.input_shape[-1]), model.output_shape[-1],
                           n_train, n_validation, len(fit_history["loss"]), self.steps_per_epoch(n_train))
        if self.early_stopping:
            history = {key: values[: watch.n_epochs] for key, values in history.items()}
        return TrainedMember(spec, model, _as_floats(history), kernel_sparsity(model), watch.best_epoch, cost)

    def _train_independent(self, X, y, members, weights, validation_data, on_trained):
        jobs = (
            delayed(_train_member_in_worker)(self._params(), X, y, spec, w, _member_validation(validation_data, k))
            for k, (spec, w) in enumerate(zip(members, weights))
        )
        results = Parallel(n_jobs=self.n_jobs, return_as="generator")(jobs)
        if self.verbose >= 1:
            from tqdm.auto import tqdm

            results = tqdm(results, total=len(members), desc=f"training {len(members)} members")
        trained = []
        # Results first: zip then exhausts them, which closes the progress bar.
        for (model_weights, history, best_epoch, cost), spec in zip(results, members, strict=True):
            trained.append(self.restore(spec, model_weights, X.shape[1], y.shape[1], len(X), history, best_epoch))
            trained[-1].cost = cost
            on_trained(len(trained) - 1, trained[-1])
        return trained

    def _fit_prepared(self, X, y, spec, sample_weight, validation_data, progress_bar):
        """Train one member on data already through :meth:`_prepare`.

        Workers show no progress bar of their own: the bar over members is in
        the parent process.
        """
        _, keras, _ = import_tf()
        keras.utils.set_random_seed(spec.seed)
        model = self.build(spec, X.shape[1], y.shape[1], len(X))
        watch = _MemberWatch("val_loss", _pruned_layers(model), self._pruning_end_epoch(spec, len(X)))
        _create_training_variables(model)
        targets = [y] if sample_weight is None else [y, np.asarray(sample_weight, np.float32)]
        validation = _validation_losses(validation_data, ["val_loss"], [OUTPUT_LOSSES[spec.output_activation]])
        result = model.fit(
            X.dataset(targets, self.batch_size_for(len(X)), spec.seed).repeat(),
            callbacks=self._callbacks([watch], "training 1 member" if progress_bar else None, len(X), validation),
            **self._fit_kwargs(len(X)),
        )
        n_validation = 0 if validation_data is None else len(validation_data[0])
        return self._trained_member(spec, model, result.history, "member", 1, watch, len(X), n_validation)


def _member_validation(validation_data, index):
    """Member ``index``'s validation data: its own column of the held-out rows' weights, if any."""
    if validation_data is None or len(validation_data) == 2:
        return validation_data
    X_val, y_val, weights = validation_data
    return X_val, y_val, weights[:, index]


def _validation_losses(validation_data, log_keys, losses, names=None, function=None):
    """The ValidationLosses callback of ``validation_data`` (None without validation data)."""
    if validation_data is None:
        return None
    from ._training import ValidationLosses

    X_val, y_val, *weights = validation_data
    weights = np.asarray(weights[0], np.float32).reshape(len(X_val), -1) if weights else None
    return ValidationLosses(X_val, y_val, log_keys, losses, names, weights, function)


def _train_member_in_worker(factory_params, X, y, spec, sample_weight, validation_data):
    """Train one member in a worker process; return picklable weights, history, best epoch and cost."""
    with training_settings(quiet=factory_params["verbose"] == 0):
        member = PrunedMLPFactory(**factory_params)._fit_prepared(
            X, y, spec, sample_weight, validation_data, progress_bar=False
        )
    return member.model.get_weights(), member.history, member.best_epoch, member.cost


def _create_training_variables(model):
    """Create a compiled model's optimizer slots and loss trackers before ``fit``.

    ``tf.function`` traces a function twice when its first call creates
    variables. With these created beforehand, ``fit`` traces its train step
    once: a second less per pruned member, several for a fused model.
    """
    model.optimizer.build(model.trainable_variables)
    model.compiled_loss.build(model.output)
