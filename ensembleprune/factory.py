"""MemberSpec and PrunedMLPFactory: build and train pruned MLP members.

A member is one MLP with its own seed, architecture and pruning schedule. The
factory trains a list of members either *fused* (all members as branches of one
tf_keras model, one ``fit``; far less Python and framework overhead per member)
or *independent* (one ``fit`` per member, spread over processes with joblib, so
``joblib.parallel_config(backend="dask")`` spreads them over a cluster).
"""

import os
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from ._tf import import_tf
from .schedule import PruningSchedule

ARTICLE_HIDDEN_LAYER_SIZES = (1024, 1024)
_TRAININGS = ("fused", "independent")
# Distinct, fixed offsets give every layer of a member its own initializer seed.
_LAYER_SEED_STRIDE = 7919


@dataclass(frozen=True)
class MemberSpec:
    """What makes one member: its seed, pruning schedule and architecture.

    Parameters
    ----------
    seed : int
        Seeds the member's weight initialisation (and, trained alone, its shuffling).
    schedule : PruningSchedule
        How the member is pruned; ``schedule.final_sparsity`` is its target.
    hidden_layer_sizes : tuple of int, default=(1024, 1024)
        Width of each hidden layer (the article's architecture by default).
    activation : str, default="relu"
        Activation of the hidden layers: "relu", "tanh", "sigmoid", "elu" or "linear".
    """

    seed: int
    schedule: PruningSchedule
    hidden_layer_sizes: tuple = ARTICLE_HIDDEN_LAYER_SIZES
    activation: str = "relu"

    def __post_init__(self):
        object.__setattr__(self, "hidden_layer_sizes", tuple(int(h) for h in self.hidden_layer_sizes))
        object.__setattr__(self, "seed", int(self.seed))
        if not isinstance(self.schedule, PruningSchedule):
            raise TypeError(f"schedule must be a PruningSchedule, got {type(self.schedule).__name__}")
        if any(h < 1 for h in self.hidden_layer_sizes):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes}")
        from .compact import ACTIVATIONS

        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")

    @property
    def final_sparsity(self):
        return self.schedule.final_sparsity

    def get_config(self):
        return {
            "seed": self.seed,
            "schedule": self.schedule.get_config(),
            "hidden_layer_sizes": list(self.hidden_layer_sizes),
            "activation": self.activation,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["schedule"] = PruningSchedule.from_config(config["schedule"])
        return cls(**config)


@dataclass
class TrainedMember:
    """A trained member: its spec, its pruned tf_keras model and what training saw.

    Attributes
    ----------
    spec : MemberSpec
    model : tf_keras.Model
        The pruned model (tfmot wrappers still in place); pass it to
        :func:`ensembleprune.strip` for a compact numpy model.
    history : dict of str to list of float
        Per-epoch ``loss`` (and ``val_loss`` when validation data was given).
    layer_sparsity : list of float
        Achieved fraction of zeros in each layer's kernel, input to output.
    """

    spec: MemberSpec
    model: object
    history: dict = field(default_factory=dict)
    layer_sparsity: list = field(default_factory=list)


class PrunedMLPFactory:
    """Builds and trains pruned MLPs with tfmot's gradual magnitude pruning.

    Parameters
    ----------
    epochs : int, default=100
    batch_size : int, default=1024
        Capped at the number of training rows.
    learning_rate : float, default=1e-3
        Adam's learning rate.
    training : {"fused", "independent"}, default="fused"
        ``"fused"`` trains all members as branches of one model with one ``fit``
        and one loss per branch; ``"independent"`` runs one ``fit`` per member.
    n_jobs : int, default=None
        Processes for independent training (joblib; ``None`` means 1, ``-1`` all
        cores). Each worker limits TensorFlow's threads to its share of the cores.
    verbose : int, default=0
        0 silent, 1 a progress bar, 2 also Keras' per-epoch lines.
    """

    def __init__(self, epochs=100, batch_size=1024, learning_rate=1e-3, training="fused", n_jobs=None, verbose=0):
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.training = training
        self.n_jobs = n_jobs
        self.verbose = verbose
        if training not in _TRAININGS:
            raise ValueError(f"training must be one of {_TRAININGS}, got {training!r}")

    def steps_per_epoch(self, n_samples):
        return -(-n_samples // min(self.batch_size, n_samples))

    def build(self, spec, n_features, n_outputs, steps_per_epoch):
        """Return one pruned, compiled tf_keras MLP for ``spec``."""
        _, keras, _ = import_tf()
        inputs = keras.Input(shape=(n_features,), name="features")
        model = keras.Model(inputs, self._branch(spec, inputs, n_outputs, steps_per_epoch, "member"))
        model.compile(optimizer=keras.optimizers.Adam(float(self.learning_rate)), loss="mse")
        return model

    def _branch(self, spec, inputs, n_outputs, steps_per_epoch, name):
        """The pruned layers of one member, applied to ``inputs``."""
        _, keras, tfmot = import_tf()
        schedule = spec.schedule.to_tfmot(steps_per_epoch, self.epochs)
        widths = list(spec.hidden_layer_sizes) + [n_outputs]
        x = inputs
        for index, width in enumerate(widths):
            is_output = index == len(widths) - 1
            seed = spec.seed + _LAYER_SEED_STRIDE * index
            initializer = (
                keras.initializers.GlorotUniform(seed=seed) if is_output else keras.initializers.HeNormal(seed=seed)
            )
            dense = keras.layers.Dense(
                width,
                activation=None if is_output else spec.activation,
                kernel_initializer=initializer,
                name=f"{name}_dense_{index}",
            )
            x = tfmot.prune_low_magnitude(dense, pruning_schedule=schedule, name=f"{name}_pruned_{index}")(x)
        return x

    def train(self, X, y, members, sample_weight=None, validation_data=None):
        """Train ``members`` on ``(X, y)``.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        y : array of shape (n_samples,) or (n_samples, n_outputs)
        members : list of MemberSpec
        sample_weight : array of shape (n_members, n_samples), default=None
            One weight vector per member (bootstrap counts, for example).
        validation_data : tuple (X_val, y_val), default=None
            Evaluated after every epoch and recorded as ``val_loss``.

        Returns
        -------
        list of TrainedMember, in the order of ``members``.
        """
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y, dtype=np.float32).reshape(len(X), -1)
        if validation_data is not None:
            X_val, y_val = validation_data
            validation_data = (np.asarray(X_val, np.float32), np.asarray(y_val, np.float32).reshape(len(X_val), -1))
        members = list(members)
        if not members:
            raise ValueError("members is empty: give at least one MemberSpec")
        # Fail on an impossible schedule before any training starts.
        for spec in members:
            spec.schedule.steps(self.steps_per_epoch(len(X)), self.epochs)
        if self.training == "fused":
            return self._train_fused(X, y, members, sample_weight, validation_data)
        return self._train_independent(X, y, members, sample_weight, validation_data)

    def _fit_kwargs(self, n_samples, validation_data, seed):
        return dict(
            batch_size=min(self.batch_size, n_samples),
            epochs=self.epochs,
            verbose=2 if self.verbose >= 2 else 0,
            shuffle=True,
            validation_data=validation_data,
        )

    def _train_fused(self, X, y, members, sample_weight, validation_data):
        tf, keras, tfmot = import_tf()
        keras.utils.set_random_seed(members[0].seed)
        steps = self.steps_per_epoch(len(X))
        inputs = keras.Input(shape=(X.shape[1],), name="features")
        names = [f"member_{i}" for i in range(len(members))]
        outputs = {
            name: keras.layers.Identity(name=name)(self._branch(spec, inputs, y.shape[1], steps, name))
            for name, spec in zip(names, members)
        }
        fused = keras.Model(inputs, outputs)
        fused.compile(optimizer=keras.optimizers.Adam(float(self.learning_rate)), loss={n: "mse" for n in names})
        weights = None if sample_weight is None else {n: np.asarray(w, np.float32) for n, w in zip(names, sample_weight)}
        if validation_data is not None:
            validation_data = (validation_data[0], {n: validation_data[1] for n in names})
        callbacks = [tfmot.UpdatePruningStep()]
        if self.verbose >= 1:
            callbacks.append(_EpochProgress(self.epochs, f"training {len(members)} fused members"))
        result = fused.fit(
            X,
            {n: y for n in names},
            sample_weight=weights,
            callbacks=callbacks,
            **self._fit_kwargs(len(X), validation_data, members[0].seed),
        )
        trained = []
        for name, spec in zip(names, members):
            model = keras.Model(inputs, fused.get_layer(name).output)
            history = {"loss": result.history[f"{name}_loss"] if len(names) > 1 else result.history["loss"]}
            if validation_data is not None:
                history["val_loss"] = result.history[f"val_{name}_loss" if len(names) > 1 else "val_loss"]
            trained.append(TrainedMember(spec, model, _as_floats(history), kernel_sparsity(model)))
        return trained

    def _train_independent(self, X, y, members, sample_weight, validation_data):
        n_jobs = effective_n_jobs(self.n_jobs)
        threads = max(1, (os.cpu_count() or 1) // max(1, n_jobs))
        config = dict(epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate, verbose=0)
        weights = [None] * len(members) if sample_weight is None else list(sample_weight)
        jobs = (
            delayed(_train_member_in_worker)(config, X, y, spec, w, validation_data, threads)
            for spec, w in zip(members, weights)
        )
        results = Parallel(n_jobs=self.n_jobs, return_as="generator")(jobs)
        if self.verbose >= 1:
            from tqdm.auto import tqdm

            results = tqdm(results, total=len(members), desc="training members")
        trained = []
        for spec, (model_weights, history) in zip(members, results):
            model = self.build(spec, X.shape[1], y.shape[1], self.steps_per_epoch(len(X)))
            model.set_weights(model_weights)
            trained.append(TrainedMember(spec, model, history, kernel_sparsity(model)))
        return trained

    def fit_one(self, X, y, spec, sample_weight=None, validation_data=None):
        """Train one member in this process and return its TrainedMember."""
        _, keras, tfmot = import_tf()
        keras.utils.set_random_seed(spec.seed)
        model = self.build(spec, X.shape[1], y.shape[1], self.steps_per_epoch(len(X)))
        result = model.fit(
            X,
            y,
            sample_weight=sample_weight,
            callbacks=[tfmot.UpdatePruningStep()],
            **self._fit_kwargs(len(X), validation_data, spec.seed),
        )
        history = {key: result.history[key] for key in ("loss", "val_loss") if key in result.history}
        return TrainedMember(spec, model, _as_floats(history), kernel_sparsity(model))


def _train_member_in_worker(config, X, y, spec, sample_weight, validation_data, threads):
    """Train one member in a worker process; return picklable weights and history."""
    tf, _, _ = import_tf()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        # The worker has run TensorFlow before; its thread pools are already set.
        pass
    member = PrunedMLPFactory(training="independent", **config).fit_one(X, y, spec, sample_weight, validation_data)
    return member.model.get_weights(), member.history


def kernel_sparsity(model):
    """Fraction of exact zeros in each pruned kernel of ``model``, input to output."""
    sparsity = []
    for layer in model.layers:
        # tfmot's pruning wrapper keeps the Dense layer it prunes as ``.layer``.
        kernel = getattr(getattr(layer, "layer", layer), "kernel", None)
        if kernel is not None:
            values = kernel.numpy()
            sparsity.append(float(np.mean(values == 0)))
    return sparsity


def _as_floats(history):
    return {key: [float(v) for v in values] for key, values in history.items()}


class _EpochProgress:
    """A tqdm bar over epochs, as a Keras callback (created lazily to keep imports light)."""

    def __new__(cls, epochs, description):
        _, keras, _ = import_tf()
        from tqdm.auto import tqdm

        class EpochProgress(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.bar = tqdm(total=epochs, desc=description)

            def on_epoch_end(self, epoch, logs=None):
                self.bar.update(1)
                if logs and "loss" in logs:
                    self.bar.set_postfix(loss=f"{logs['loss']:.4g}")

            def on_train_end(self, logs=None):
                self.bar.close()

        return EpochProgress()
