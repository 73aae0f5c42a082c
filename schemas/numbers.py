"""Bodies are read as the JSON types the schema names: a number is a number and a yes/no is true or false.

Pydantic alone reads ``"rest_days": false`` as 0, ``"count": true`` as 1 and ``"same_offer": 0`` or ``"no"`` as
false, so a client's mistake in the type went through in silence; the schema says ``integer`` or ``boolean``
and the service now agrees (the fuzzer's negative_data_rejection found these).
"""

from typing import Any, get_args

from pydantic import BaseModel, ValidationInfo, model_validator

# The validation context of rows read from a spreadsheet: cells are text, read by pydantic's own rules.
FROM_TEXT = {"from_text": True}


def _is(annotation: Any, kinds: tuple[type, ...]) -> bool:
    """``annotation`` is one of ``kinds``, or holds one within ``X | None``, ``list[X]``, ``dict[K, X]``, ..."""
    if annotation in kinds:
        return True
    args = get_args(annotation)
    return any(_is(arg, kinds) for arg in (args[1:] if len(args) == 2 and args[0] is str else args))


def _values(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return list(value.values()) if isinstance(value, dict) else [value]


def _wrong(annotation: Any, value: Any) -> bool:
    values = [v for v in _values(value) if v is not None]
    if _is(annotation, (bool,)):
        return any(not isinstance(v, bool) for v in values if not isinstance(v, (dict, list)))
    return _is(annotation, (int, float)) and any(isinstance(v, bool) for v in values)


class ExactTypes(BaseModel):
    @model_validator(mode="before")
    @classmethod
    def _as_the_schema_says(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or (info.context or {}).get("from_text"):
            return data
        for name, field in cls.model_fields.items():
            value = data.get(field.alias or name)
            if value is not None and _wrong(field.annotation, value):
                kind = "true or false" if _is(field.annotation, (bool,)) else "a number"
                raise ValueError(f"{name}: {value!r} is not {kind}: give {kind}")
        return data
