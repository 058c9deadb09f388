"""Dependency injection for agents: ``Depends`` and the plan worked out once per function.

A plan is a tree: the agent's parameters are either resources the runner provides by type
(project, label row, task, stage, storage item, client), calls of dependency functions
(whose own parameters are planned the same way, to any depth), or defaults. Resolving a plan
for one task calls each dependency once, enters generator dependencies as context managers
on the caller's ``ExitStack`` and hands back the agent's arguments.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import (
    AsyncExitStack,
    ExitStack,
    asynccontextmanager,
    contextmanager,
)
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from annotask.client import Client, Project, StorageItem
from annotask.errors import ValidationError
from annotask.labels import LabelRow
from annotask.workflow import AgentStage, AgentTask, WorkflowStage, WorkflowTask

__all__ = ["Call", "Depends", "Resource", "compile_plan", "resolve", "resolve_async"]


class Depends:
    """Mark a parameter as computed by ``dependency`` (called with its own injections).

    Use ``Annotated[T, Depends(fn)]`` or ``param: T = Depends(fn)``. ``Depends()`` with no
    function calls ``T`` itself. Within one task a dependency is called once however many
    parameters ask for it, unless ``use_cache=False``.
    """

    def __init__(
        self, dependency: Callable[..., Any] | None = None, *, use_cache: bool = True
    ) -> None:
        self.dependency = dependency
        self.use_cache = use_cache

    def __repr__(self) -> str:
        name = getattr(self.dependency, "__name__", repr(self.dependency))
        return f"Depends({name})"


class Resource(StrEnum):
    """What the runner provides by type."""

    PROJECT = "project"
    LABEL_ROW = "label_row"
    TASK = "task"
    STAGE = "stage"
    STORAGE_ITEM = "storage_item"
    CLIENT = "client"


_BY_TYPE: tuple[tuple[type, Resource], ...] = (
    (Project, Resource.PROJECT),
    (LabelRow, Resource.LABEL_ROW),
    (AgentTask, Resource.TASK),
    (WorkflowTask, Resource.TASK),
    (AgentStage, Resource.STAGE),
    (WorkflowStage, Resource.STAGE),
    (StorageItem, Resource.STORAGE_ITEM),
    (Client, Resource.CLIENT),
)
_INJECTABLE = "Project, LabelRow, AgentTask, AgentStage, StorageItem, Client"


@dataclass(frozen=True)
class Default:
    """A parameter left to its default value."""

    value: Any


@dataclass(frozen=True, eq=False)
class Call:
    """A function to call with planned arguments."""

    fn: Callable[..., Any]
    args: tuple[tuple[str, Call | Resource | Default], ...]
    is_generator: bool
    use_cache: bool = True
    resources: frozenset[Resource] = field(default=frozenset())
    is_async: bool = False
    """A coroutine function or an async generator function: awaited (or entered)."""

    @property
    def any_async(self) -> bool:
        """Whether this call or any dependency below it must be awaited."""
        return any(c.is_async for c in self.calls())

    @cached_property
    def any_generator(self) -> bool:
        """Whether this call or any dependency below it is a generator (whose cleanup runs
        after the agent returns)."""
        return any(c.is_generator for c in self.calls())

    @property
    def name(self) -> str:
        """The function's name, for messages."""
        return getattr(self.fn, "__qualname__", None) or repr(self.fn)

    def calls(self) -> Iterator[Call]:
        """This call and every dependency below it."""
        yield self
        for _, node in self.args:
            if isinstance(node, Call):
                yield from node.calls()


def compile_plan(
    fn: Callable[..., Any], localns: Mapping[str, Any] | None = None, *, batch: bool = False
) -> Call:
    """The injection plan of an agent; ValidationError naming any parameter it cannot fill.

    ``localns`` are the names visible where the agent was decorated, so that string
    annotations (``from __future__ import annotations``) may name local functions. With
    ``batch``, the agent's own parameters are lists (``list[LabelRow]``) planned as their
    elements: one element per task, each injected as for a one-task agent.
    """
    names = dict(localns or {})
    if not batch:
        return _compile(fn, agent=_describe(fn), chain=(), localns=names)
    return _compile(fn, agent=_describe(fn), chain=(), localns=names, unwrap=_list_element)


def _describe(fn: Callable[..., Any]) -> str:
    named = getattr(fn, "__qualname__", None)
    if isinstance(named, str):
        return named
    # an instance of a class with __call__
    return f"{type(fn).__qualname__} instance"


def _compile(
    fn: Callable[..., Any],
    agent: str,
    chain: tuple[Any, ...],
    localns: dict[str, Any],
    unwrap: Callable[[Any], Any] | None = None,
) -> Call:
    if fn in chain:
        loop = " → ".join(_describe(f) for f in (*chain, fn))
        raise ValidationError(f"agent {agent}: dependencies call each other in a loop: {loop}")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"agent {agent}: cannot read the signature of dependency {_describe(fn)}: {exc}"
        ) from exc
    hints = _hints(fn, agent, localns)
    args: list[tuple[str, Call | Resource | Default]] = []
    for name, param in signature.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ValidationError(
                f"agent {agent}: parameter {'*' * param.kind.value}{name} of {_describe(fn)} "
                "cannot be injected; give every parameter a type the runner provides "
                f"({_INJECTABLE}) or a Depends(...)"
            )
        annotation = hints.get(name, param.annotation)
        if unwrap is not None:
            annotation = unwrap(annotation)
        planned = _plan_param(fn, name, annotation, param.default, agent, (chain, localns))
        args.append((name, planned))
    calls = [node for _, node in args if isinstance(node, Call)]
    resources = frozenset(node for _, node in args if isinstance(node, Resource)).union(
        *(c.resources for c in calls)
    )
    body = _body(fn)
    return Call(
        fn=fn,
        args=tuple(args),
        is_generator=inspect.isgeneratorfunction(body) or inspect.isasyncgenfunction(body),
        resources=resources,
        is_async=inspect.iscoroutinefunction(body) or inspect.isasyncgenfunction(body),
    )


def _body(fn: Callable[..., Any]) -> Any:
    """The function whose code runs when ``fn`` is called: ``fn`` itself, a class's
    ``__init__``, or (for an instance of a class with ``__call__``) that method."""
    if inspect.isclass(fn):
        return fn.__init__
    if inspect.isroutine(fn):
        return fn
    call = inspect.getattr_static(type(fn), "__call__", None)
    return call if inspect.isfunction(call) else fn


def _list_element(annotation: Any) -> Any:
    """``list[T]`` (or ``Sequence[T]``) → ``T``, keeping ``Annotated`` extras around it."""
    if get_origin(annotation) is Annotated:
        base, *extras = get_args(annotation)
        return Annotated[(_list_element(base), *extras)]
    if get_origin(annotation) in (list, Sequence, typing.Sequence):
        (element,) = get_args(annotation) or (Any,)
        return element
    return annotation


def _hints(fn: Callable[..., Any], agent: str, localns: dict[str, Any]) -> dict[str, Any]:
    target = _body(fn)
    try:
        return typing.get_type_hints(target, localns=localns, include_extras=True)
    except Exception as exc:
        raise ValidationError(
            f"agent {agent}: cannot evaluate the type annotations of {_describe(fn)} ({exc}); "
            "import the names they use at module level, not under TYPE_CHECKING"
        ) from exc


def _plan_param(  # noqa: PLR0917 - one call site, every argument needed for messages
    fn: Callable[..., Any],
    name: str,
    annotation: Any,
    default: Any,
    agent: str,
    scope: tuple[tuple[Any, ...], dict[str, Any]],
) -> Call | Resource | Default:
    base, depends = _split_annotated(annotation)
    if isinstance(default, Depends):
        if depends is not None:
            raise ValidationError(
                f"agent {agent}: parameter {name!r} of {_describe(fn)} has Depends both in "
                f"Annotated[...] and as its default value; keep one: {name}: "
                f"Annotated[{_type_name(base)}, {depends!r}] or {name}: {_type_name(base)} = "
                f"{default!r}"
            )
        depends = default
    if depends is not None:
        target = depends.dependency or base
        if target is inspect.Parameter.empty or not callable(target):
            raise ValidationError(
                f"agent {agent}: parameter {name!r} of {_describe(fn)} uses Depends() without "
                "a function and without a type to call; write Depends(some_function)"
            )
        chain, localns = scope
        planned = _compile(target, agent, (*chain, fn), localns)
        return Call(
            planned.fn,
            planned.args,
            planned.is_generator,
            depends.use_cache,
            planned.resources,
            planned.is_async,
        )
    resource = _resource_for(base)
    if resource is not None:
        return resource
    if default is not inspect.Parameter.empty:
        return Default(default)
    shown = "no annotation" if base is inspect.Parameter.empty else f"type {_type_name(base)}"
    raise ValidationError(
        f"agent {agent}: parameter {name!r} of {_describe(fn)} cannot be injected: it has "
        f"{shown}. Annotate it with a type the runner provides ({_INJECTABLE}), or with "
        f"Annotated[{_type_name(base) if base is not inspect.Parameter.empty else 'T'}, "
        "Depends(a_function)], or give it a default value"
    )


def _split_annotated(annotation: Any) -> tuple[Any, Depends | None]:
    if get_origin(annotation) is Annotated:
        base, *extras = get_args(annotation)
        found = [e for e in extras if isinstance(e, Depends)]
        return base, (found[-1] if found else None)
    return annotation, None


def _resource_for(annotation: Any) -> Resource | None:
    """The resource a type asks for (``X | None`` asks for ``X``: the runner has one)."""
    if isinstance(annotation, UnionType) or get_origin(annotation) is Union:
        members = [a for a in get_args(annotation) if a is not type(None)]
        annotation = members[0] if len(members) == 1 else None
    if not inspect.isclass(annotation):
        return None
    return next((r for cls, r in _BY_TYPE if issubclass(annotation, cls)), None)


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)


Provide = Callable[[Resource], Any]


def resolve(plan: Call, provide: Provide, stack: ExitStack | None) -> dict[str, Any]:
    """The keyword arguments for ``plan.fn`` for one task.

    ``provide`` returns the runner's resource of a kind; generator dependencies are entered
    on ``stack`` so that their cleanup runs when the caller closes it (``None`` will do for
    a plan without them: :attr:`Call.any_generator`).
    """
    cache: dict[Any, Any] = {}
    return {name: _value(node, provide, stack, cache) for name, node in plan.args}


def _value(
    node: Call | Resource | Default,
    provide: Provide,
    stack: ExitStack | None,
    cache: dict[Any, Any],
) -> Any:
    if isinstance(node, Resource):
        return provide(node)
    if isinstance(node, Default):
        return node.value
    if node.use_cache and node.fn in cache:
        return cache[node.fn]
    kwargs = {name: _value(arg, provide, stack, cache) for name, arg in node.args}
    if node.is_generator:
        if stack is None:
            raise AssertionError(f"{node.name} is a generator: resolve needs a stack")  # a bug
        value = stack.enter_context(contextmanager(node.fn)(**kwargs))
    else:
        value = node.fn(**kwargs)
    if node.use_cache:
        cache[node.fn] = value
    return value


RunSync = Callable[[Callable[[], Any]], Awaitable[Any]]


async def resolve_async(
    plan: Call, provide: Provide, stack: AsyncExitStack, run_sync: RunSync
) -> dict[str, Any]:
    """Like :func:`resolve`, awaiting ``async def`` dependencies and entering async
    generators on ``stack``; plain dependency functions go through ``run_sync`` (a thread,
    so that decoding an image does not stall the event loop)."""
    cache: dict[Any, Any] = {}
    return {name: await _avalue(node, provide, stack, cache, run_sync) for name, node in plan.args}


async def _avalue(
    node: Call | Resource | Default,
    provide: Provide,
    stack: AsyncExitStack,
    cache: dict[Any, Any],
    run_sync: RunSync,
) -> Any:
    if isinstance(node, Resource):
        return provide(node)
    if isinstance(node, Default):
        return node.value
    if node.use_cache and node.fn in cache:
        return cache[node.fn]
    kwargs = {n: await _avalue(a, provide, stack, cache, run_sync) for n, a in node.args}
    if node.is_async and node.is_generator:
        value = await stack.enter_async_context(asynccontextmanager(node.fn)(**kwargs))
    elif node.is_async:
        value = await node.fn(**kwargs)
    elif node.is_generator:
        manager = contextmanager(node.fn)(**kwargs)
        value = await run_sync(manager.__enter__)
        stack.push_async_exit(_exit_in_thread(manager, run_sync))
    else:
        value = await run_sync(lambda: node.fn(**kwargs))
    if node.use_cache:
        cache[node.fn] = value
    return value


def _exit_in_thread(manager: Any, run_sync: RunSync) -> Callable[..., Awaitable[bool | None]]:
    async def exit_(*exc_info: Any) -> bool | None:
        return bool(await run_sync(lambda: manager.__exit__(*exc_info)))

    return exit_
