"""The rules behind the estimators' "auto" members: how many, how sparse, what their input layers prune.

``_BasePrunedEnsemble._member_specs`` turns them into the members' specs.
The training's own "auto" rules (``epochs``, ``batch_size``) are in
``factory.py``, the encoding's (``input_encoding``) in ``encoding.py``.
"""

import numpy as np

# sparsities="auto": member densities spaced geometrically between these.
AUTO_DENSITIES = (0.2, 0.005)
# n_members="auto": members per reading of the inputs.
AUTO_N_MEMBERS = 4
# On wide inputs, the one more member that reads only the features a marginal screen finds takes the
# sparsity of this automatic member (the third of four: 0.9829, the feature member weighed most on wide data).
SCREENED_SPARSITY_OF = 2


def is_auto(value):
    return isinstance(value, str) and value == "auto"


def auto_sparsities(n_members):
    """``n_members`` final sparsities whose densities are spaced geometrically from 0.2 to 0.005.

    Wide data with few informative features is fitted best by very sparse
    members (0.98 and beyond) and other data by denser ones; the spread covers
    both, and the combiner weighs the members on held-out rows.
    """
    if n_members == 1:
        return np.array([1 - np.sqrt(AUTO_DENSITIES[0] * AUTO_DENSITIES[1])])
    return np.round(1 - np.geomspace(*AUTO_DENSITIES, num=n_members), 4)


def n_members_for(n_members, by_turns, screened=False):
    """``n_members="auto"``: four members, eight where they read the encoded columns by turns; +1 if ``screened``."""
    if is_auto(n_members):
        return AUTO_N_MEMBERS * (2 if by_turns else 1) + int(screened)
    return n_members


def member_sparsities(n_members, by_turns, screened):
    """``sparsities="auto"`` for ``n_members`` members (``n_members_for``'s), the ``screened`` one last.

    By turns, each sparsity is given to two members in a row, so that it is
    read both ways.
    """
    n_others = n_members - int(screened)
    if by_turns:
        sparsities = np.repeat(auto_sparsities(-(-n_others // 2)), 2)[:n_others]
    else:
        sparsities = auto_sparsities(n_others)
    if screened:
        sparsities = np.append(sparsities, auto_sparsities(AUTO_N_MEMBERS)[SCREENED_SPARSITY_OF])
    return sparsities


def adds_screened_member(n_members, input_pruning, n_features, first_width, one_parent):
    """Whether ``n_members="auto"`` adds a member that reads only the screened features (``"screened"``).

    On inputs wider than the first layer, where members prune whole features:
    those members keep the screened features beside others chosen by how far
    training moved them, and on a few hundred rows the others are mostly
    noise; a member that reads the screened features alone fits a target of
    few features much better, and the combiner weighs it against the rest
    (docs/performance.md, "A member that reads the screened features alone").
    Not for the one-parent strategies, whose children share their parent's
    input mask.
    """
    return is_auto(n_members) and is_auto(input_pruning) and n_features > first_width and not one_parent


def auto_input_pruning(n_features, first_width, finals, one_parent=False):
    """``input_pruning="auto"``: what the input layer of each member of final sparsities ``finals`` prunes.

    Where the inputs outnumber the first layer's units, members prune whole
    features and single weights by turns, the first member features. Single
    weights fail there when few inputs are informative: the floor of live
    weights keeps about one weight per input, so even the sparsest member
    reads about half of the inputs (docs/performance.md, "Pruning whole input
    features"). Features are ranked by a marginal screen and by how far
    training moved their weights (``_training.MagnitudePruning``); narrower
    inputs keep single-weight pruning in every member, where whole features
    were never measured against it. With the "auto" sparsities the
    feature members are the densest and the third: the sparsest would keep
    too few features to be of use (2 of 500), and the weight members keep a
    path for data whose signal is spread over many inputs.

    With ``one_parent`` (the strategies whose members descend from one
    network) the turns go in the order of sparsity and start with weights:
    the least sparse member is the parent (the first snapshot), and every
    child inherits its input mask, so a parent that kept few features would
    take them from every member (docs/performance.md, "One-parent
    strategies: the parent prunes single weights").
    """
    if n_features <= first_width:
        return ("weights",) * len(finals)
    if one_parent:
        ranks = np.argsort(np.argsort(finals, kind="stable"), kind="stable")
        return tuple(("weights", "features")[rank % 2] for rank in ranks)
    return tuple(("features", "weights")[index % 2] for index in range(len(finals)))
