"""Shared Hypothesis strategies for the property suites: JSON values and text mutations."""
from __future__ import annotations

from hypothesis import strategies as st

# Scalars a JSON document (or a hostile request) may hold, edge cases included.
json_scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", "0", "-1", "1e400", "NaN", "inf", "1.5", "tomorrow", "{name:>1000000000}", "\x00", "٣"]),
)

json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=5),
                               st.dictionaries(st.text(max_size=12), children, max_size=5)),
    max_leaves=25,
)


def json_paths(value, prefix=()):
    """Every (path, value) in a JSON value, containers included (the root's path is ``()``)."""
    yield prefix, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_paths(item, prefix + (index,))


@st.composite
def mutated_lines(draw, lines: list[str], extra_lines: st.SearchStrategy[str]) -> list[str]:
    """``lines`` after a few random edits: drop, duplicate, swap, replace, insert, truncate."""
    result = list(lines)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        action = draw(st.sampled_from(["drop", "duplicate", "swap", "replace", "insert", "cut"]))
        if not result:
            result.append(draw(extra_lines))
            continue
        index = draw(st.integers(min_value=0, max_value=len(result) - 1))
        if action == "drop":
            del result[index]
        elif action == "duplicate":
            result.insert(index, result[index])
        elif action == "swap":
            other = draw(st.integers(min_value=0, max_value=len(result) - 1))
            result[index], result[other] = result[other], result[index]
        elif action == "replace":
            result[index] = draw(extra_lines)
        elif action == "insert":
            result.insert(index, draw(extra_lines))
        else:
            line = result[index]
            result[index] = line[:draw(st.integers(min_value=0, max_value=len(line)))]
    return result
