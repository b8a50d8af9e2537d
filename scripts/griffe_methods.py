"""A griffe extension for the API reference: Value's methods that are made from the op table.

`exp, log, ... = _method(Exp), _method(Log), ...` in autograd/value.py builds each one-argument method from its
op, with the op's docstring (the math is written once, in the table). Griffe reads source without running it, so
it cannot see those methods; this extension imports the class, and documents each such method as the function
it is at run time: its name, `(self) -> Value`, and its docstring, in the order of the source.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from typing import Any

import griffe


class OpMethods(griffe.Extension):
    def on_class_members(self, *, node: ast.AST | griffe.ObjectNode, cls: griffe.Class, **kwargs: Any) -> None:
        if not isinstance(node, ast.ClassDef):
            return
        runtime = getattr(importlib.import_module(cls.module.path), cls.name, None)
        for statement in node.body:  # `a, b = _method(A), _method(B)`: one method per name, at this line
            if not (isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Tuple)):
                continue
            for target in statement.targets[0].elts:
                name = target.id if isinstance(target, ast.Name) else ""
                method = getattr(runtime, name, None)
                if name.startswith("_") or name in cls.members or not inspect.isfunction(method):
                    continue
                self_parameter = griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)
                function = griffe.Function(name, lineno=statement.lineno, endlineno=statement.end_lineno,
                                           parameters=griffe.Parameters(self_parameter), returns="Value")
                function.docstring = griffe.Docstring(inspect.cleandoc(method.__doc__ or ""), parent=function)
                cls.set_member(name, function)
        members = sorted(cls.members.items(), key=lambda item: item[1].lineno or 0)  # the new ones among the rest
        cls.members.clear()
        cls.members.update(members)
