"""A route class for the busiest reads: documented by FastAPI as any route, served without its
per-request dependency solving.

FastAPI re-inspects every parameter's annotation on every request (a filtered ``GET /experts`` spent
some 160 µs there, more than its kept answer costs to serve). A ``LeanRoute`` works out once, from
the same signature, how to obtain each argument, and then validates path parameters and one query
model with pydantic directly. Validation errors are raised as FastAPI raises them
(``RequestValidationError``, located in ``path`` or ``query``), so they answer the same 422.

The endpoint must be ``async``, return a ``Response``, and take only: the ``Request``, the caller
(a dependency called with the request alone, such as ``CurrentUser``), path parameters, and at most
one query model (``Annotated[Model, Query()]``). Anything else is refused when the route is made.
"""

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.params import Depends, Path, Query
from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel, TypeAdapter, ValidationError

Argument = Callable[[Request], Awaitable[Any] | Any]


def _located(error: ValidationError, *where: str) -> RequestValidationError:
    return RequestValidationError([{**e, "loc": (*where, *e["loc"])} for e in error.errors(include_url=False)])


def _path_parameter(name: str, annotation: Any) -> Argument:
    adapter = TypeAdapter(annotation)

    def value(request: Request) -> Any:
        try:
            return adapter.validate_python(request.path_params[name])
        except ValidationError as error:
            raise _located(error, "path", name) from None

    return value


def _query_model(model: type[BaseModel]) -> Argument:
    lists = {name for name, field in model.model_fields.items() if get_origin(field.annotation) is list}

    def value(request: Request) -> BaseModel:
        query = request.query_params
        given = {
            name: query.getlist(name) if name in lists else query[name] for name in model.model_fields if name in query
        }
        try:
            return model.model_validate(given)
        except ValidationError as error:
            raise _located(error, "query") from None

    return value


def _dependency(call: Callable) -> Argument:
    parameters = list(inspect.signature(call).parameters.values())
    if len(parameters) != 1 or parameters[0].annotation is not Request:
        raise TypeError(f"a LeanRoute dependency takes the request alone, not {call}")
    return call


def _argument(name: str, hint: Any, path_names: set[str]) -> Argument:
    if hint is Request:
        return lambda request: request
    base, *extras = get_args(hint) if get_origin(hint) is Annotated else (hint,)
    marker = next((e for e in extras if isinstance(e, (Depends, Path, Query))), None)
    if isinstance(marker, Depends) and marker.dependency is not None:
        return _dependency(marker.dependency)
    if name in path_names and (marker is None or isinstance(marker, Path)):
        return _path_parameter(name, hint)
    if isinstance(marker, Query) and isinstance(base, type) and issubclass(base, BaseModel):
        return _query_model(base)
    raise TypeError(f"LeanRoute cannot supply {name}: {hint}")


class LeanRoute(APIRoute):
    """An ``APIRoute`` whose handler supplies the endpoint's arguments as worked out when it is made."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint
        if not inspect.iscoroutinefunction(endpoint):
            raise TypeError(f"a LeanRoute endpoint is async: {endpoint.__name__}")
        hints, path_names = get_type_hints(endpoint, include_extras=True), set(self.param_convertors)
        arguments = []  # (name, how to make it from the request, whether that is awaited)
        for name in inspect.signature(endpoint).parameters:
            make = _argument(name, hints[name], path_names)
            awaited = inspect.iscoroutinefunction(make) or inspect.iscoroutinefunction(type(make).__call__)
            arguments.append((name, make, awaited))

        async def handler(request: Request) -> Response:
            kwargs = {name: await make(request) if awaited else make(request) for name, make, awaited in arguments}
            return await endpoint(**kwargs)

        return handler


def lean_get(router: APIRouter, path: str, **options: Any) -> Callable[[Callable], Callable]:
    """``@router.get(path, ...)``, served by a ``LeanRoute``."""

    def register(endpoint: Callable) -> Callable:
        router.add_api_route(path, endpoint, methods=["GET"], route_class_override=LeanRoute, **options)
        return endpoint

    return register
