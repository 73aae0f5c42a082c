"""``@use_case``: a service function that writes owns its transaction, failure included.

It ends with ``unit.commit(...)`` when all went well; when anything raises, what it wrote is rolled back
here, so that the route, page or command that called it neither commits nor cleans up (a page can
render the error on the same session). Kept free of FastAPI so that commands start light.
"""

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from service.platform.unit import Unit

P = ParamSpec("P")
R = TypeVar("R")


def use_case(function: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        unit: Unit = args[0]  # type: ignore[assignment]  # the first parameter of every use case
        try:
            return function(*args, **kwargs)
        except BaseException:
            unit.session.rollback()
            raise

    return run


__all__ = ["use_case"]
