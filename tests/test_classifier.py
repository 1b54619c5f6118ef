"""PrunedEnsembleClassifier: labels, probabilities, combiners, weights, files and scikit-learn tools."""

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ensembleprune import PrunedEnsembleClassifier, load, save
from ensembleprune._base import LINEAR_MEMBER_SEED
from ensembleprune._selection import SELECTION_FOLDS
from ensembleprune.cli import main as cli_main
from ensembleprune.classifier import indicator_targets, log_loss_of_average
from ensembleprune.factory import PrunedMLPFactory
from ensembleprune.member import MemberSpec
from ensembleprune.schedule import PruningSchedule

SMALL = dict(n_members=2, sparsities=(0.5, 0.7), hidden_layer_sizes=(32,), epochs=30, batch_size=32, learning_rate=1e-2,
             random_state=0)


@pytest.fixture(scope="module")
def three_classes():
    X, y = make_classification(n_samples=360, n_features=12, n_informative=6, n_classes=3, random_state=0)
    return X, np.array(["cat", "dog", "eel"])[y]


@pytest.fixture(scope="module")
def fitted(three_classes):
    X, y = three_classes
    return PrunedEnsembleClassifier(**SMALL, combine="mean").fit(X, y)


def test_multiclass_probabilities_are_the_mean_of_softmax_members(fitted, three_classes):
    X, y = three_classes
    np.testing.assert_array_equal(fitted.classes_, ["cat", "dog", "eel"])
    members = fitted.predict_members_proba(X)
    assert members.shape == (2, len(X), 3)
    np.testing.assert_allclose(members.sum(axis=2), 1.0, rtol=1e-12)
    proba, spread = fitted.predict_proba(X, return_std=True)
    np.testing.assert_allclose(proba, members.mean(axis=0) / members.mean(axis=0).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(spread, members.std(axis=0))
    np.testing.assert_array_equal(fitted.predict(X), fitted.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(fitted.predict_log_proba(X), np.log(proba))
    assert fitted.score(X, y) > 0.8
    assert all(member.layers[-1].activation == "softmax" for member in fitted.members_)


@pytest.mark.parametrize("labels", [np.array([False, True]), np.array([3, 7]), np.array(["no", "yes"])])
def test_binary_labels_of_any_type_train_sigmoid_members(labels):
    X, y = make_classification(n_samples=240, n_features=8, n_informative=4, random_state=1)
    # The networks alone: on 24 held-out rows a logistic member would be kept alone.
    model = PrunedEnsembleClassifier(**SMALL, linear_member=False).fit(X, labels[y])
    np.testing.assert_array_equal(model.classes_, labels)
    assert all(member.n_outputs_ == 1 and member.layers[-1].activation in ("sigmoid",) for member in model.members_)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(X)) <= set(labels)
    assert np.mean(model.predict(X) == labels[y]) > 0.8


def test_one_class_is_refused_with_a_clear_message():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match=r"only one class \('a'\)"):
        PrunedEnsembleClassifier(**SMALL).fit(X, ["a"] * 20)
    # One class left by the weights: refused before anything trains, and nothing of an earlier fit is left.
    y = np.array(["a", "b"] * 10)
    model = PrunedEnsembleClassifier(**{**SMALL, "epochs": 2}).fit(X, y)
    with pytest.raises(ValueError, match="every class but 'b'.*at least 2 classes"):
        model.fit(X, y, sample_weight=(y == "b").astype(float))
    assert not hasattr(model, "members_") and not hasattr(model, "classes_") and not hasattr(model, "n_features_in_")


def test_selection_weighs_members_on_held_out_log_loss(three_classes):
    X, y = three_classes
    # 108 held-out rows: judged on them (below 100, out of fold: tests/test_calibration.py)
    model = PrunedEnsembleClassifier(**SMALL, combine="select", validation_fraction=0.3).fit(X, y)
    assert model.linear_member_evidence_["held_out_rows"] == 108 and "folds" not in model.linear_member_evidence_
    assert model.member_weights_.sum() == pytest.approx(1.0) and np.all(model.member_weights_ > 0)
    members = model.predict_members_proba(X)
    np.testing.assert_allclose(model.predict_proba(X), np.tensordot(model.member_weights_, members, axes=1))
    # The linear member, when chosen, is a logistic regression ending in a softmax.
    linear = [m for m, seed in zip(model.members_, model.member_seeds_) if seed == -1]
    assert all(len(m.layers) == 1 and m.layers[0].activation == "softmax" for m in linear)


def test_log_loss_of_average_matches_sklearn():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(3), size=50)
    labels = rng.integers(0, 3, size=50)
    weights = rng.uniform(0.5, 2, size=50)
    expected = log_loss(labels, proba, sample_weight=weights, labels=[0, 1, 2])
    assert log_loss_of_average(proba, np.eye(3)[labels], weights) == pytest.approx(expected, rel=1e-6)
    binary = rng.uniform(0.05, 0.95, size=(50, 1))
    expected = log_loss(labels % 2, np.hstack([1 - binary, binary]))
    assert log_loss_of_average(binary, (labels % 2).reshape(-1, 1).astype(float)) == pytest.approx(expected, rel=1e-6)


def test_stacking_fits_a_logistic_meta_learner_on_out_of_fold_probabilities(three_classes):
    X, y = three_classes
    model = PrunedEnsembleClassifier(**SMALL, combine="stack", cv=2).fit(X, y)
    (meta,) = model.final_estimators_
    # Two networks and the logistic member, whose out-of-fold probabilities the meta-learner also saw.
    assert model.member_seeds_[-1] == -1 and len(model.members_) == 3
    assert isinstance(meta, LogisticRegression) and meta.coef_.shape == (3, 3 * 3)
    members = model.predict_members_proba(X)
    expected = meta.predict_proba(members.transpose(1, 0, 2).reshape(len(X), -1))
    np.testing.assert_allclose(model.predict_proba(X), expected)
    assert model.score(X, y) > 0.8
    # The meta-learner learnt from uncalibrated fold members: the full members stay as trained too.
    np.testing.assert_array_equal(model.member_temperatures_, [1.0, 1.0, 1.0])


@pytest.mark.slow
def test_class_weight_balanced_raises_the_minority_recall():
    X, y = make_classification(n_samples=600, n_features=10, n_informative=3, weights=[0.9, 0.1], flip_y=0.05,
                               class_sep=0.5, random_state=0)
    params = dict(SMALL, combine="mean")
    plain = PrunedEnsembleClassifier(**params).fit(X, y)
    balanced = PrunedEnsembleClassifier(**params, class_weight="balanced").fit(X, y)
    recall = [np.mean(model.predict(X)[y == 1] == 1) for model in (plain, balanced)]
    assert recall[1] > recall[0] + 0.1
    # sample_weight does the same when it carries the class weights.
    weights = np.where(y == 1, 9.0, 1.0)
    weighted = PrunedEnsembleClassifier(**params).fit(X, y, sample_weight=weights)
    assert np.mean(weighted.predict(X)[y == 1] == 1) > recall[0] + 0.1


def test_compact_softmax_member_predicts_as_the_keras_member():
    X, y = make_classification(n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=2)
    spec = MemberSpec(0, PruningSchedule(0.5), (16,), output_activation="softmax")
    member = PrunedMLPFactory(epochs=3, batch_size=32).fit_one(X, np.eye(3)[y], spec)
    from ensembleprune.compact import strip

    keras_proba = member.model.predict(X.astype(np.float32), verbose=0)
    np.testing.assert_allclose(strip(member.model).predict(X), keras_proba, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(strip(member.model).to_keras().predict(X, verbose=0), keras_proba, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("combine", ["select", "stack"])
def test_save_and_load_keep_classes_and_probabilities(three_classes, tmp_path, combine):
    X, y = three_classes
    # 108 held-out rows: the selection is judged on them, not out of fold (six fits)
    model = PrunedEnsembleClassifier(**SMALL, combine=combine, cv=2, validation_fraction=0.3).fit(X, y)
    save(model, tmp_path / "model.epz")
    loaded = load(tmp_path / "model.epz")
    assert type(loaded) is PrunedEnsembleClassifier
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    assert loaded.classes_.dtype == model.classes_.dtype
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.slow
def test_works_with_pipeline_grid_search_log_loss_scoring_and_calibration(three_classes):
    X, y = three_classes
    short = {**SMALL, "epochs": 10, "combine": "mean"}  # the API, not how well the members learn
    pipeline = make_pipeline(StandardScaler(), PrunedEnsembleClassifier(**short))
    # The mean combiner: the selection judges 180 rows' members out of fold (six fits each), tested on its own.
    grid = {"prunedensembleclassifier__sparsities": [(0.5, 0.7), (0.6, 0.9)]}
    search = GridSearchCV(pipeline, grid, cv=2, scoring="neg_log_loss").fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and np.all(scores < 0) and scores[0] != scores[1]
    assert search.best_params_["prunedensembleclassifier__sparsities"] in grid["prunedensembleclassifier__sparsities"]
    calibrated = CalibratedClassifierCV(PrunedEnsembleClassifier(**{**short, "n_members": 1}), cv=2).fit(X, y)
    np.testing.assert_allclose(calibrated.predict_proba(X).sum(axis=1), 1.0)


def test_no_logistic_member_when_a_class_is_missing_from_its_rows():
    from ensembleprune.classifier import logistic_member

    rng = np.random.default_rng(0)
    X, labels = rng.normal(size=(30, 3)), np.repeat([0, 1, 2], 10)
    Y = np.eye(3)[labels]
    model, _ = logistic_member(X, Y, np.arange(20))  # rows of classes 0 and 1 only
    assert model is None
    model, _ = logistic_member(X, Y, np.arange(30))
    assert model.n_outputs_ == 3 and model.layers[0].activation == "softmax"


def test_the_default_keeps_the_logistic_member_alone_when_the_networks_do_not_win_clearly():
    # A linear boundary with noisy labels: on 100 held-out rows the networks cannot show an edge (on this draw;
    # on others of the same kind they may by chance, as held-out rows flatter the selection: one standard error).
    X, y = make_classification(n_samples=400, n_features=6, n_informative=2, n_redundant=0, n_clusters_per_class=1,
                               flip_y=0.2, random_state=4)
    model = PrunedEnsembleClassifier(**SMALL, validation_fraction=0.25).fit(X, y)
    assert model.linear_member_evidence_["held_out_rows"] == 100 and "folds" not in model.linear_member_evidence_
    assert model.member_seeds_.tolist() == [-1] and model.member_weights_.tolist() == [1.0]
    assert model.linear_member_evidence_["excess_loss"] <= model.linear_member_evidence_["standard_error"]
    # What the user gets is scikit-learn's LogisticRegression on the standardized features, refitted on every row.
    expected = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(model.predict_proba(X), expected, atol=1e-6)


def test_out_of_fold_and_stacking_folds_are_stratified_by_class():
    # Every class of at least SELECTION_FOLDS rows is spread over the selection's folds in proportion, so
    # that no fold's training rows lack it; stacking's cv=5 is stratified too, as StackingClassifier's.
    codes = np.repeat([0, 1, 2], [70, 25, 5])
    Y = indicator_targets(codes, 3)
    model = PrunedEnsembleClassifier(n_members=1, combine="stack", cv=5, random_state=0)
    for folds in (model._selection_folds(Y, model._member_specs("softmax", 4)),
                  model._stacking_splits(np.zeros((100, 4)), Y)):
        assert len(folds) == SELECTION_FOLDS
        for _, test in folds:
            np.testing.assert_array_equal(np.bincount(codes[test], minlength=3), [14, 5, 1])


def test_out_of_fold_keeps_the_logistic_member_alone_where_a_fold_lacks_a_class(tmp_path, capsys):
    # 60 rows hold out 6: the members are judged out of fold, but the folds' training rows must hold every
    # class for the logistic member to be fitted there. A class of fewer rows than folds cannot be spread
    # over them; where its rows all fall in one test fold it leaves the logistic member untried, and in
    # doubt it is the model.
    X, y = make_classification(60, 5, n_informative=3, random_state=0)
    model = PrunedEnsembleClassifier(n_members=1, hidden_layer_sizes=(8,), epochs=2, random_state=0)
    seed = int(model._member_specs("softmax", X.shape[1])[0].seed)
    folds = list(KFold(SELECTION_FOLDS, shuffle=True, random_state=seed).split(X))
    labels = np.where(y == 1, "b", "a").astype(object)
    labels[folds[0][1][:2]] = "rare"
    model.fit(X, labels)
    assert model.linear_member_evidence_["untried"] == "a fold's training rows lack a class"
    assert model.member_seeds_.tolist() == [LINEAR_MEMBER_SEED]
    # Judged first: the fold members trained, then the logistic member alone, so no full-data network.
    assert model.training_cost_["phase"][0] == "select-fold0 members" and "full members" not in model.training_cost_["phase"]
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0, rtol=1e-6)
    save(model, tmp_path / "model.epz")
    assert cli_main(["inspect", str(tmp_path / "model.epz")]) == 0
    assert ("linear member alone: a fold's training rows lack a class, so it was not judged out of fold"
            in capsys.readouterr().out)
