"""How the factory's members train: fused, or independent.

*Fused*: every member is a branch of one tf_keras model, with its own layers,
loss and Adam slots, and one ``fit`` trains them all: far less Python and
framework overhead per member. Members that start from trained parents
always train this way. *Independent*: one ``fit`` per member in joblib
workers, so that ``joblib.parallel_config(backend="dask")`` spreads them over
a cluster. Both give back :class:`~ensembleprune.trained.TrainedMember`
objects, with histories cut where early stopping stopped each member and the
cost of its training. What to train (the options, the budget, each member's
layers and callbacks) is :class:`~ensembleprune.factory.PrunedMLPFactory`'s.
"""

import numpy as np
from joblib import Parallel, delayed

from ._fused_cache import FusedModel
from ._tf import import_tf, training_settings
from .ledger import member_cost
from .member import OUTPUT_LOSSES
from .trained import TrainedMember, _as_floats, _log_key, _MemberWatch, _pruned_layers, kernel_sparsity


def train_fused(factory, X, y, members, weights, validation_data, on_trained, parents=None, parent_masks="magnitude"):
    """Train ``members`` as the branches of one model (:func:`fused_model`); their TrainedMembers, in order.

    The arguments are :meth:`PrunedMLPFactory.train`'s, through the factory's ``_prepare``.
    """
    _, keras, _ = import_tf()
    keras.utils.set_random_seed(members[0].seed)
    fused = fused_model(factory, X.shape[1], y.shape[1], len(X), members, parents, parent_masks)
    reserve_screened(factory, X, y, members, fused.member_models)
    names = fused.names
    watches = [
        _MemberWatch(_log_key(name, len(names), validation=True), _pruned_layers(model),
                     factory._pruning_end_epoch(spec, len(X)))
        for name, spec, model in zip(names, members, fused.member_models)
    ]
    targets = [y]
    if any(w is not None for w in weights):
        targets.append(np.stack([np.ones(len(X), np.float32) if w is None else w for w in weights], axis=1))

    def per_member(x, y, weights=None):
        # One target (and weight column) per branch, as Keras' multi-output fit wants them.
        ys = {n: y for n in names}
        return (x, ys) if weights is None else (x, ys, {n: weights[:, k] for k, n in enumerate(names)})

    batches = X.dataset(targets, factory.batch_size_for(len(X)), members[0].seed, structure=per_member)
    validation = _validation_losses(validation_data, [watch.log_key for watch in watches],
                                    [OUTPUT_LOSSES[spec.output_activation] for spec in members], names,
                                    fused.validation_function)
    result = fused.model.fit(
        batches.repeat(),
        callbacks=factory._callbacks(
            watches, f"training {len(members)} fused members" if len(members) > 1 else "training 1 member", len(X),
            validation,
        ),
        **factory._fit_kwargs(len(X)),
    )
    if validation is not None:
        fused.validation_function = validation.function
    n_validation = 0 if validation_data is None else len(validation_data[0])
    trained = [
        trained_member(factory, spec, model, result.history, name, len(names), watch, len(X), n_validation)
        for name, spec, model, watch in zip(names, members, fused.member_models, watches)
    ]
    for index, member in enumerate(trained):
        on_trained(index, member)
    return trained


def fused_model(factory, n_features, n_outputs, n_samples, members, parents, parent_masks):
    """The fused model of ``members``: built and compiled, or ``fused_cache``'s, reset, where it fits.

    Members with parents start from their parents' weights, so they are
    always built anew.
    """
    key = None
    if factory.fused_cache is not None and parents is None:
        # Everything the traced graph holds as a constant: the specs (schedules, seeds, losses), the shapes,
        # the schedules' steps and the optimizer's settings.
        key = (list(members), n_features, n_outputs, factory.steps_per_epoch(n_samples), factory.epochs_for(n_samples),
               factory.learning_rate, factory.learning_rate_schedule)
        fused = factory.fused_cache.reuse(key)
        if fused is not None:
            return fused
    _, keras, _ = import_tf()
    inputs = keras.Input(shape=(n_features,), name="features")
    names = [f"member_{i}" for i in range(len(members))]
    starts = _starting_sparsities(factory, members, parents, parent_masks, n_features, n_outputs)
    outputs = {
        name: keras.layers.Identity(name=name)(factory._branch(spec, inputs, n_outputs, n_samples, name, start))
        for name, spec, start in zip(names, members, starts)
    }
    model = keras.Model(inputs, outputs)
    # Each branch has its own Adam slots, so one optimizer over the fused model
    # updates every member exactly as its own optimizer would. Neither
    # jit_compile (XLA) nor steps_per_execution is used: on CPU both measured
    # slower or no faster (docs/performance.md, "Training options tried").
    model.compile(optimizer=factory._optimizer(n_samples),
                  loss={n: OUTPUT_LOSSES[spec.output_activation] for n, spec in zip(names, members)})
    member_models = [keras.Model(inputs, outputs[name]) for name in names]
    if parents is not None:
        from ._training import inherit

        for spec, member_model, parent, start in zip(members, member_models, parents, starts):
            seed = spec.seed if parent_masks == "random" else None
            inherit(_pruned_layers(parent.model), _pruned_layers(member_model), start, seed)
    create_training_variables(model)
    fused = FusedModel(model, names, member_models, model.get_weights())
    if key is not None:
        factory.fused_cache.keep(key, fused)
    return fused


def reserve_screened(factory, X, y, members, models):
    """In each member that prunes whole input features, reserve those its training rows' screen finds.

    ``X`` is the training rows (``TrainingRows``), held-out rows excluded, so
    that early stopping and the combiner judge members on rows the screen
    never saw.
    """
    from ._screening import screened_features
    from ._training import reserve_features

    screens = {}  # by the number of input columns the member reads
    for spec, model in zip(members, models):
        layer = _pruned_layers(model)[0]
        if layer.reserved_rows is None:
            continue
        width = int(layer.reserved_rows.shape[0])
        if width not in screens:
            screens[width] = screened_features(X.X[:, :width], y, X.rows)
        reserve_features(layer, screens[width], factory.layer_finals(spec, X.shape[1], y.shape[1])[0])


def _starting_sparsities(factory, members, parents, parent_masks, n_features, n_outputs):
    """Each member's sparsity per layer when its training starts (None: the schedule's own)."""
    if parents is None:
        return [None] * len(members)
    if parent_masks == "magnitude":
        return [parent.layer_sparsity for parent in parents]
    return [
        [max(final, start) for final, start in zip(factory.layer_finals(spec, n_features, n_outputs), parent.layer_sparsity)]
        for spec, parent in zip(members, parents)
    ]


def train_independent(factory, X, y, members, weights, validation_data, on_trained):
    """Train each of ``members`` with its own ``fit`` in a joblib worker (``n_jobs``), and restore it here."""
    jobs = (
        delayed(_train_member_in_worker)(factory._params(), X, y, spec, w, member_validation(validation_data, k))
        for k, (spec, w) in enumerate(zip(members, weights))
    )
    results = Parallel(n_jobs=factory.n_jobs, return_as="generator")(jobs)
    if factory.verbose >= 1:
        from tqdm.auto import tqdm

        results = tqdm(results, total=len(members), desc=f"training {len(members)} members")
    trained = []
    # Results first: zip then exhausts them, which closes the progress bar.
    for (model_weights, history, best_epoch, cost), spec in zip(results, members, strict=True):
        trained.append(factory.restore(spec, model_weights, X.shape[1], y.shape[1], len(X), history, best_epoch))
        trained[-1].cost = cost
        on_trained(len(trained) - 1, trained[-1])
    return trained


def _train_member_in_worker(factory_params, X, y, spec, sample_weight, validation_data):
    """Train one member in a worker process; return picklable weights, history, best epoch and cost."""
    from .factory import PrunedMLPFactory  # the factory imports this module

    with training_settings(quiet=factory_params["verbose"] == 0):
        member = fit_prepared(
            PrunedMLPFactory(**factory_params), X, y, spec, sample_weight, validation_data, progress_bar=False
        )
    return member.model.get_weights(), member.history, member.best_epoch, member.cost


def fit_prepared(factory, X, y, spec, sample_weight, validation_data, progress_bar):
    """Train one member on data already through the factory's ``_prepare``.

    Workers show no progress bar of their own: the bar over members is in
    the parent process.
    """
    _, keras, _ = import_tf()
    keras.utils.set_random_seed(spec.seed)
    model = factory.build(spec, X.shape[1], y.shape[1], len(X))
    reserve_screened(factory, X, y, [spec], [model])
    watch = _MemberWatch("val_loss", _pruned_layers(model), factory._pruning_end_epoch(spec, len(X)))
    create_training_variables(model)
    targets = [y] if sample_weight is None else [y, np.asarray(sample_weight, np.float32)]
    validation = _validation_losses(validation_data, ["val_loss"], [OUTPUT_LOSSES[spec.output_activation]])
    result = model.fit(
        X.dataset(targets, factory.batch_size_for(len(X)), spec.seed).repeat(),
        callbacks=factory._callbacks([watch], "training 1 member" if progress_bar else None, len(X), validation),
        **factory._fit_kwargs(len(X)),
    )
    n_validation = 0 if validation_data is None else len(validation_data[0])
    return trained_member(factory, spec, model, result.history, "member", 1, watch, len(X), n_validation)


def trained_member(factory, spec, model, fit_history, name, n_branches, watch, n_train, n_validation):
    """The TrainedMember of one branch, its history cut where it stopped early, with its cost."""
    history = {"loss": fit_history[_log_key(name, n_branches)]}
    if watch.log_key in fit_history:
        history["val_loss"] = fit_history[watch.log_key]
    # A fused fit runs every branch until the last member stops: its cost counts every epoch run.
    cost = member_cost(spec.hidden_layer_sizes, spec.n_inputs(model.input_shape[-1]), model.output_shape[-1],
                       n_train, n_validation, len(fit_history["loss"]), factory.steps_per_epoch(n_train))
    if factory.early_stopping:
        history = {key: values[: watch.n_epochs] for key, values in history.items()}
    return TrainedMember(spec, model, _as_floats(history), kernel_sparsity(model), watch.best_epoch, cost)


def member_validation(validation_data, index):
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


def create_training_variables(model):
    """Create a compiled model's optimizer slots and loss trackers before ``fit``.

    ``tf.function`` traces a function twice when its first call creates
    variables. With these created beforehand, ``fit`` traces its train step
    once: a second less per pruned member, several for a fused model.
    """
    model.optimizer.build(model.trainable_variables)
    model.compiled_loss.build(model.output)
