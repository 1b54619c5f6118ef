"""The training-cost ledger: counts that follow from the architecture and the steps, checked by hand."""

import math

import pytest

from ensembleprune import PrunedEnsembleRegressor
from ensembleprune.encoding import encoded_width
from ensembleprune.ledger import CostLedger, dense_multiply_adds, member_cost


def test_dense_multiply_adds_of_one_forward_pass():
    assert dense_multiply_adds(5, (8, 4), 1) == 5 * 8 + 8 * 4 + 4 * 1


def test_member_cost_counts_forward_backward_and_validation():
    cost = member_cost((8,), n_features=5, n_outputs=1, n_train=90, n_validation=10, epochs=3, steps_per_epoch=3)
    forward = 5 * 8 + 8 * 1
    # Backward: weight gradients of every layer, input gradients of all but the first.
    per_example = forward + forward + (forward - 5 * 8)
    assert cost == {"optimizer_steps": 9, "examples": 270, "multiply_adds": 270 * per_example + 3 * 10 * forward}


def test_a_fit_records_what_its_members_ran(tiny_regression):
    X, y = tiny_regression
    # A third of the rows held out for the selection: 100, enough to judge the members on them (not out of fold).
    model = PrunedEnsembleRegressor(n_members=2, sparsities=[0.5, 0.8], hidden_layer_sizes=(8,), epochs=3,
                                    batch_size=32, early_stopping=False, validation_fraction=1 / 3,
                                    random_state=0).fit(X, y)
    cost = model.training_cost_
    assert cost["phase"] == ["full members", "selection"]
    n_validation = round(len(X) / 3)
    n_train = len(X) - n_validation
    steps = 3 * math.ceil(n_train / 32)
    # The first member reads the features and their encoded columns, the second the features alone.
    member_inputs = [encoded_width(X.shape[1], model.input_encoding_), X.shape[1]]
    assert member_inputs[0] > member_inputs[1]
    forwards = [n_inputs * 8 + 8 for n_inputs in member_inputs]
    assert cost["members"] == [2, 0]
    assert cost["optimizer_steps"] == [2 * steps, 0]
    assert cost["examples"] == [2 * 3 * n_train, 0]
    assert cost["multiply_adds"][0] == sum(3 * n_train * (3 * forward - n_inputs * 8) + 3 * n_validation * forward
                                           for forward, n_inputs in zip(forwards, member_inputs))
    assert all(seconds >= 0 for seconds in cost["seconds"]) and cost["seconds"][0] > 0


def test_a_fused_fit_counts_every_epoch_it_ran_for_every_member(tiny_regression):
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(n_members=2, sparsities=[0.5, 0.8], hidden_layer_sizes=(8,), epochs=40,
                                    batch_size=64, n_iter_no_change=2, combine="mean", random_state=0).fit(X, y)
    epochs_run = max(len(history["loss"]) for history in model.history_)
    steps_per_epoch = math.ceil((len(X) - round(0.1 * len(X))) / 64)
    assert model.training_cost_["optimizer_steps"] == [2 * epochs_run * steps_per_epoch]


def test_the_ledger_is_a_table_of_equal_columns():
    ledger = CostLedger()
    ledger.add_seconds("selection", 0.5)
    table = ledger.as_dict()
    assert set(table) == {"phase", "members", "optimizer_steps", "examples", "multiply_adds", "seconds"}
    assert {len(column) for column in table.values()} == {1}
    assert table["seconds"] == [pytest.approx(0.5)]
