"""Data sets: the article's wide linear regression, a nonlinear companion, and CSV files.

The two data sets are generated, never downloaded. :func:`load_experiment_data`
gives the experiments and the command line their data: one of the two, or a
CSV file read by :func:`load_csv`. :func:`read_feature_csv` reads the rows
that ``ensembleprune predict`` predicts.
"""

import csv
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.datasets import make_friedman1, make_regression
from sklearn.model_selection import train_test_split


@dataclass
class RegressionSplit:
    """A train/validation split, plus the true coefficients when they are known."""

    X_train: np.ndarray
    X_val: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray
    coef: np.ndarray = None

    @property
    def informative(self):
        """Boolean mask of the features that carry signal (``coef != 0``)."""
        return None if self.coef is None else self.coef != 0


def make_article_regression(n_samples=10000, n_features=1000, n_informative=500, noise=3.0, random_state=0):
    """The article's data: ``make_regression``, max-abs scaled, split 80/20.

    Each feature is divided by its maximum absolute value and the target by its
    own, then the rows are split 80/20 with ``random_state=42`` as in the article.
    ``coef`` is returned in the scaled units (zero for the uninformative features).
    """
    X, y, coef = make_regression(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        noise=noise,
        coef=True,
        random_state=random_state,
    )
    return max_abs_split(X, y, coef)


def max_abs_split(X, y, coef=None):
    """Divide each feature and the target by their max-abs, then split the rows 80/20.

    As the article does; the split uses ``random_state=42``. An all-zero column
    is left as it is. ``coef``, the true coefficients if known, is returned in
    the scaled units.
    """
    x_scale = np.abs(X).max(axis=0)
    x_scale = np.where(x_scale > 0, x_scale, 1.0)
    y_scale = np.abs(y).max() or 1.0
    X_train, X_val, y_train, y_val = train_test_split(
        (X / x_scale).astype(np.float32), (y / y_scale).astype(np.float32), test_size=0.2, random_state=42
    )
    return RegressionSplit(X_train, X_val, y_train, y_val, None if coef is None else coef * x_scale / y_scale)


def make_wide_friedman(n_samples=5000, n_features=200, noise=0.5, random_state=0):
    """Friedman #1 (nonlinear, 5 informative features) padded with noise features.

    Features lie in [0, 1]; the target is scaled by its max-abs; split 80/20.
    """
    X, y = make_friedman1(n_samples=n_samples, n_features=n_features, noise=noise, random_state=random_state)
    y = y / np.abs(y).max()
    X_train, X_val, y_train, y_val = train_test_split(
        X.astype(np.float32), y.astype(np.float32), test_size=0.2, random_state=42
    )
    coef = np.zeros(n_features)
    coef[:5] = 1.0
    return RegressionSplit(X_train, X_val, y_train, y_val, coef)


def load_experiment_data(data=None, target=None, dataset="article", n_samples=10000, n_features=1000,
                         random_state=0):
    """The data of an experiment: a CSV file, the article's regression, or wide Friedman #1.

    Parameters
    ----------
    data : str or Path, default=None
        A numeric CSV file with a header (see :func:`load_csv`). Features and
        target are divided by their max-abs, as the article does, so losses are
        comparable across data sets; the rows are split 80/20 with
        ``random_state=42``.
    target : str, default=None
        The target column of ``data``; required with it.
    dataset : {"article", "friedman"}, default="article"
        Used when ``data`` is None: :func:`~ensembleprune.make_article_regression`
        (half of the features informative) or
        :func:`~ensembleprune.make_wide_friedman`.
    n_samples, n_features : int, default=10000, 1000
        Sizes of the generated data set.
    random_state : int, default=0
        Seeds the generated data set.

    Returns
    -------
    RegressionSplit
        ``coef`` is None for CSV data.
    """
    if data is None:
        if target is not None:
            raise ValueError("target names a column of a CSV file; give the file too (data)")
        if dataset == "article":
            return make_article_regression(n_samples=n_samples, n_features=n_features,
                                           n_informative=n_features // 2, random_state=random_state)
        if dataset == "friedman":
            return make_wide_friedman(n_samples=n_samples, n_features=n_features, random_state=random_state)
        raise ValueError(f"dataset must be 'article' or 'friedman', got {dataset!r}")
    if target is None:
        raise ValueError(f"give the name of the target column of {data} (target)")
    X, y, _ = load_csv(data, target)
    return max_abs_split(X, y)


def load_csv(path, target):
    """Read a numeric CSV file with a header row into ``(X, y, feature_names)``.

    Parameters
    ----------
    path : str or Path
    target : str
        Name of the target column; every other column is a feature.

    Raises
    ------
    ValueError
        If the target column is missing, or a cell is empty or not a number.
    """
    header, data = read_numeric_csv(path)
    if target not in header:
        raise ValueError(f"target column {target!r} is not in {path}; its columns are {header}")
    if len(data) < 2:
        raise ValueError(f"{path} holds {len(data)} data rows; need at least 2")
    column = header.index(target)
    return np.delete(data, column, axis=1), data[:, column], [name for name in header if name != target]


def read_numeric_csv(path):
    """Read a CSV file of a header row and numeric rows into ``(header, data)``.

    Raises
    ------
    ValueError
        If the file is empty, a row has the wrong number of cells, or a cell is
        empty, not a number, NaN or infinite; the message names the line.
    """
    path = Path(path)
    with path.open(newline="") as file:
        reader = csv.reader(file)
        header = next(reader, None)
        if not header:
            raise ValueError(f"{path} is empty; expected a header row of column names")
        header = [name.strip() for name in header]
        rows = []
        for line_number, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise ValueError(f"{path} line {line_number} has {len(row)} cells, the header has {len(header)}")
            try:
                rows.append([float(cell) for cell in row])
            except ValueError:
                bad = next(cell for cell in row if not _is_number(cell))
                raise ValueError(
                    f"{path} line {line_number} holds {bad!r}, not a number; encode categorical columns as numbers "
                    "and fill in missing values first"
                ) from None
    data = np.array(rows, dtype=np.float64).reshape(len(rows), len(header))
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{path} holds NaN or infinite values; fill in missing values first")
    return header, data


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


# Cells that mean "no value", as pandas reads them by default (compared without case).
MISSING_CELLS = frozenset(["", "na", "n/a", "nan", "-nan", "null", "none", "<na>", "#n/a", "#na", "nat"])
DELIMITERS = (",", ";", "\t", "|")
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]*,[0-9]+([eE][+-]?[0-9]+)?")


def read_feature_csv(path, needs, names=None):
    """The rows of a CSV file as a model's input, every cell checked against what its column needs.

    The delimiter (``,``, ``;``, tab or ``|``) is read from the header row; a
    UTF-8 byte-order mark is skipped; in a ``;`` file a number may have a
    decimal comma. Columns the model does not read are not checked.

    Parameters
    ----------
    path : str or Path
        A CSV file with a header row.
    needs : list of ColumnNeed
        What each input column of the model must hold (``_pipeline_inputs.column_needs``).
    names : list of str, default=None
        The model's feature names: columns are picked by name and given in this
        order (a DataFrame; one that the model does not read may be absent).
        Without names the file must hold exactly ``len(needs)`` columns (an array).

    Raises
    ------
    ValueError
        Naming the file, the line (the header is line 1, as in an editor) and
        the column: a cell that is not a number where the model needs one, a
        missing cell where it cannot take one, a category it never saw, a
        missing column; with a hint when the header row looks like data.
    """
    import pandas as pd

    table, lines, delimiter = _read_table(path)
    header = list(table.columns)
    numbers = [name for name in header if _number(name, delimiter) is not None]
    hint = (f"; the file seems to have no header row (its first line holds numbers such as {numbers[0]!r}): add a "
            "row of column names" if numbers else "")
    if names is None:
        if len(header) != len(needs) or len(numbers) == len(header):
            raise ValueError(f"{path} has {len(header)} columns; the model takes {len(needs)} features, in this "
                             f"order{hint}")
        names = header
        positional = True
    else:
        positional = False
        missing = [name for name, need in zip(names, needs) if need.used and name not in header]
        if missing:
            raise ValueError(f"{path} lacks the feature columns {missing[:5]} that the model was fitted on; its "
                             f"columns are {header[:10]}{hint}")
    columns, problems = {}, []
    for name, need in zip(names, needs):
        if not need.used:
            columns[name] = np.full(len(table), np.nan)
            continue
        columns[name], bad = _convert_column(table[name].tolist(), need, delimiter)
        if bad:
            problems.append((lines[bad[0][0]], name, bad[0][1], len(bad)))
    if problems:
        line, name, problem, count = min(problems, key=lambda item: item[0])
        more = [f"{count - 1} more in this column"] * (count > 1) + [f"{len(problems) - 1} other columns too"] * (
            len(problems) > 1)
        raise ValueError(f"{path} line {line}, column {name!r}: {problem}" + (f" ({'; '.join(more)})" if more else ""))
    if positional:
        values = list(columns.values())
        numeric = all(value.dtype != object for value in values)
        return np.column_stack(values).astype(np.float64 if numeric else object)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(table)))


def _read_table(path):
    """``(table of str cells, line of each row, delimiter)``, blank lines dropped."""
    import pandas as pd

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not UTF-8 text ({error.reason} at byte {error.start}); save it as CSV "
                         "UTF-8") from None
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise ValueError(f"{path} is empty or starts with a blank line; expected a header row of column names")
    # The delimiter that splits the header into the most cells; a comma when none splits it.
    delimiter = max(DELIMITERS, key=lambda d: (len(next(csv.reader([first], delimiter=d))), -DELIMITERS.index(d)))
    try:
        with warnings.catch_warnings(record=True) as dropped:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            # index_col=False: a delimiter at the end of each row is not an unnamed first column.
            table = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, na_filter=False, skip_blank_lines=False,
                                index_col=False)
        if dropped:  # rows longer than the header, cut by index_col=False: only empty cells may go
            reader = csv.reader(io.StringIO(text), delimiter=delimiter)
            for cells in reader:
                if len(cells) > len(table.columns) and any(cell.strip() for cell in cells[len(table.columns):]):
                    raise pd.errors.ParserError(f"Expected {len(table.columns)} fields in line {reader.line_num}, "
                                                f"saw {len(cells)}")
    except pd.errors.ParserError as error:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
        if found:
            expected, line, saw = found.groups()
            raise ValueError(f"{path} line {line} has {saw} cells; the header has {expected}") from None
        found = re.search(r"EOF inside string starting at row (\d+)", str(error))  # rows counted from 0
        if found:
            raise ValueError(f"{path} line {int(found.group(1)) + 1}: a quote (\") opens a cell that no quote "
                             "closes") from None
        raise ValueError(f"{path} cannot be read as CSV: {error}") from None
    table.columns = [str(name).strip() for name in table.columns]
    table = table.fillna("")
    if any("\n" in cell or "\r" in cell for cell in table.to_numpy().ravel()):
        # A quoted cell spans lines: count them as the csv module reads them.
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        lines = [reader.line_num for _ in reader][1:]
    else:
        lines = list(range(2, len(table) + 2))
    blank = (table == "").all(axis=1).to_numpy()
    lines = [line for line, skip in zip(lines, blank) if not skip]
    table = table[~blank].reset_index(drop=True)
    if table.empty:
        raise ValueError(f"{path} has a header row but no rows to predict")
    return table, lines, delimiter


def _number(cell, delimiter):
    """``cell`` as a float, or None when it is not a number (a decimal comma counts in a ``;`` file, and
    true/false as 1 and 0, as pandas reads a column of them)."""
    cell = cell.strip()
    if cell.lower() in ("true", "false"):
        return float(cell.lower() == "true")
    if delimiter == ";" and _DECIMAL_COMMA.fullmatch(cell):
        cell = cell.replace(",", ".")
    try:
        return float(cell)
    except ValueError:
        return None


def _convert_column(cells, need, delimiter):
    """``(values, problems)``: the column as numbers (or strings), and its bad cells as (row, description)."""
    known = set(need.categories) if need.categories is not None else None
    values, problems = [], []
    for row, cell in enumerate(cells):
        if known is not None and cell not in known and cell.strip() in known:
            cell = cell.strip()  # " red" where the model knows "red"
        if (known is None or cell not in known) and cell.strip().lower() in MISSING_CELLS:
            values.append(np.nan)
            if not need.missing_ok:
                problems.append((row, f"missing value ({cell!r}); the model needs "
                                      f"{'a number' if need.numeric else 'a value'} there"))
            continue
        value = _number(cell, delimiter) if need.numeric else cell
        if value is None:
            problems.append((row, f"{cell!r} is not a number; the model needs one there"))
        elif need.numeric and not np.isfinite(value):
            problems.append((row, f"{cell!r} is not a finite number"))
        elif not need.unknown_ok and value not in known:
            shown = ", ".join(map(repr, sorted(map(str, known))[:10]))
            problems.append((row, f"{cell!r} is a category that the model never saw; it knows {shown}"))
        values.append(value)
    return np.array(values, dtype=np.float64 if need.numeric else object), problems
