"""The exceptions and warnings of ensembleprune (as :mod:`sklearn.exceptions` holds scikit-learn's)."""


class MemberDivergedError(ValueError):
    """A member's training diverged: its loss or weights became NaN or infinite."""


class MemberDivergedWarning(UserWarning):
    """A diverged member was left out of the ensemble (``on_member_failure="skip"``)."""
