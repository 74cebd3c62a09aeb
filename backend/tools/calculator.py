"""Built-in tool ``calculator``: safe arithmetic without ``eval``.

The expression is parsed with :mod:`ast` and walked over a whitelist of nodes: numbers,
``+ - * / // % **``, unary ``+``/``-``, parentheses, the constants ``pi``/``e`` and a few
functions (``sqrt``, ``round``, ``abs``, ``floor``, ``ceil``, ``log``, ``log10``, ``exp``,
``sin``, ``cos``, ``tan``, ``min``, ``max``). Anything else (names, attributes, subscripts,
strings, comprehensions, keyword arguments) is refused before evaluation. Exponents are capped
(``|exponent| <= 1000``) and integer results may not exceed 4,000 bits, so ``9**9**9`` fails
fast instead of eating the CPU.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from backend.tools.base import Tool, ToolContext, ToolError, object_schema

MAX_EXPRESSION_CHARS = 500
MAX_NODES = 200
MAX_EXPONENT = 1000
MAX_INT_BITS = 4000

Number = int | float

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    # name: (function, min args, max args)
    "sqrt": (math.sqrt, 1, 1),
    "abs": (abs, 1, 1),
    "round": (round, 1, 2),
    "floor": (math.floor, 1, 1),
    "ceil": (math.ceil, 1, 1),
    "log": (math.log, 1, 2),
    "log10": (math.log10, 1, 1),
    "exp": (math.exp, 1, 1),
    "sin": (math.sin, 1, 1),
    "cos": (math.cos, 1, 1),
    "tan": (math.tan, 1, 1),
    "min": (min, 2, 20),
    "max": (max, 2, 20),
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}


def _check_size(value: Number) -> Number:
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ToolError("The result is too large.")
    if isinstance(value, float) and math.isnan(value):
        raise ToolError("The result is not a number.")
    if isinstance(value, float) and math.isinf(value):
        raise ToolError("The result is too large.")
    return value


def _power(base: Number, exponent: Number) -> Number:
    if abs(exponent) > MAX_EXPONENT:
        raise ToolError(f"Exponents are limited to ±{MAX_EXPONENT}.")
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if exponent * math.log2(abs(base)) > MAX_INT_BITS:
            raise ToolError("The result is too large.")
    result = base**exponent
    if isinstance(result, complex):
        raise ToolError("The result is not a real number.")
    return result


def _eval(node: ast.AST) -> Number:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ToolError(f"Only numbers are allowed, not {node.value!r}.")
        return _check_size(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        value = _eval(node.operand)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow):
            return _check_size(_power(left, right))
        op = _BINARY.get(type(node.op))
        if op is None:
            raise ToolError(f"The operator {type(node.op).__name__} is not allowed.")
        if isinstance(node.op, ast.Mult) and isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
                raise ToolError("The result is too large.")
        return _check_size(op(left, right))
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise ToolError(f"Unknown name {node.id!r}: only numbers, operators and {_function_list()} are allowed.")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            raise ToolError(f"Only these functions are allowed: {_function_list()}.")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ToolError("Functions take plain positional arguments only.")
        func, low, high = _FUNCTIONS[node.func.id]
        if not low <= len(node.args) <= high:
            count = f"{low}-{high} arguments" if low != high else f"{low} argument"
            raise ToolError(f"{node.func.id}() takes {count}.")
        args = [_eval(a) for a in node.args]
        if node.func.id == "round" and len(args) == 2 and not isinstance(args[1], int):
            raise ToolError("round()'s second argument must be a whole number.")
        return _check_size(func(*args))
    raise ToolError(f"{type(node).__name__} is not allowed in a calculation.")


def _function_list() -> str:
    return ", ".join(sorted(_FUNCTIONS)) + ", pi, e"


def evaluate(expression: str) -> Number:
    """Evaluate an arithmetic expression safely.

    Args:
        expression: e.g. ``"(2 + 3) * sqrt(16) / 2"``; ``^`` is accepted for ``**``.

    Returns:
        An ``int`` or ``float``.

    Raises:
        ToolError: syntax errors, forbidden constructs (names, attributes, strings, ...),
            division by zero, math domain errors, over-long input or too large results.
    """
    text = expression.strip().replace("^", "**")
    if not text:
        raise ToolError("Give an expression, e.g. '2 * (3 + 4)'.")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ToolError(f"Expressions are limited to {MAX_EXPRESSION_CHARS} characters.")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ToolError(f"Not a valid expression: {expression!r}.") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ToolError("The expression is too complex.")
    try:
        return _eval(tree)
    except ZeroDivisionError:
        raise ToolError("Division by zero.") from None
    except OverflowError:
        raise ToolError("The result is too large.") from None
    except (ValueError, TypeError) as exc:
        raise ToolError(f"Math error: {exc}.") from None


def _run(arguments: dict[str, Any], _context: ToolContext) -> dict[str, Any]:
    expression = arguments["expression"]
    return {"expression": expression, "result": evaluate(expression)}


async def _run_async(arguments: dict[str, Any], context: ToolContext) -> dict[str, Any]:
    return _run(arguments, context)  # bounded CPU work: no thread needed


TOOL = Tool(
    name="calculator",
    title="Calculator",
    description=(
        "Evaluate an arithmetic expression exactly: + - * / // % ** (or ^), parentheses, "
        f"and {_function_list()}. Use it for any non-trivial arithmetic."
    ),
    parameters=object_schema(
        {
            "expression": {
                "type": "string",
                "description": "The expression, e.g. '(1200 * 0.07) / 12' or 'sqrt(2) * 10'.",
                "minLength": 1,
                "maxLength": MAX_EXPRESSION_CHARS,
            }
        },
        ["expression"],
    ),
    handler=_run_async,
    risk="read",
    summarize=lambda out: f"{out['expression']} = {out['result']}",
)
