"""Splitting a yen total by ratios: the largest remainder method (rules.md §4, §5).

Each part first gets the floor of its exact share ``total × weight / Σ weights``; the yen left over (fewer than the
number of parts) go one by one to the parts with the largest fractional remainders. Ties are broken by ascending id
compared as strings. The parts always sum to the total, and each part is the floor or the floor + 1 of its exact
share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction


class UnableToSplit(ValueError):
    """The weights cannot split a total: a negative weight, or no positive weight for a non-zero total."""


#: the name ``UnableToSplit`` had before calc's errors were named after what failed (kept for its callers)
InvalidSplit = UnableToSplit


def largest_remainder(*, total: int, weights: Mapping[str, Fraction | int]) -> dict[str, int]:
    """Split the integer ``total`` (yen) over ``weights`` by largest remainder.

    ``total`` may be negative (a refund); the split is then the negation of splitting ``-total``, so the parts still
    sum to the total and each part stays within one yen of its exact share. Weights must not be negative; a zero
    weight gets 0. With no positive weight, a zero total splits into zeros and any other total raises
    ``UnableToSplit``.
    """
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError("total must be an int (yen)")
    if total < 0:
        return {key: -part for key, part in largest_remainder(total=-total, weights=weights).items()}
    exact: dict[str, Fraction] = {}
    for key, weight in weights.items():
        value = weight if isinstance(weight, Fraction) else Fraction(weight)
        if value < 0:
            raise UnableToSplit(f"negative weight for {key!r}")
        exact[key] = value
    weight_sum = sum(exact.values(), Fraction(0))
    if weight_sum == 0:
        if total == 0:
            return dict.fromkeys(exact, 0)
        raise UnableToSplit("no positive weight to split a non-zero total over")
    # Exact shares with integers: over the common denominator of the weights every share is total × w / Σ w with
    # integer w, so floors and remainders are integer divisions and remainders compare as integers.
    common = math.lcm(*(value.denominator for value in exact.values()))
    scaled = {key: value.numerator * (common // value.denominator) for key, value in exact.items()}
    scaled_sum = sum(scaled.values())
    parts: dict[str, int] = {}
    remainders: list[tuple[int, str]] = []
    for key, units in scaled.items():
        floor, remainder = divmod(total * units, scaled_sum)
        parts[key] = floor
        remainders.append((remainder, key))
    leftover = total - sum(parts.values())
    # Largest remainder first; ties by ascending id (as strings).
    remainders.sort(key=lambda item: (-item[0], str(item[1])))
    for _, key in remainders[:leftover]:
        parts[key] += 1
    return parts
