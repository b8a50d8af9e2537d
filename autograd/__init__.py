"""chaingrad's engine: scalar Values that record how they were made, and backpropagation through them.

Examples:
    >>> from autograd import Value
    >>> x = Value(2.0)
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> x.grad                     # dy/dx = 2x + 3
    7.0
"""

from importlib.metadata import version as _version

from autograd.check import GradcheckError, gradcheck
from autograd.compile import Compiled, TracingError, compile
from autograd.draw import BackwardAnimation, animate_backward, draw_dot
from autograd.functional import dot, is_batch, linear, log_softmax, logsumexp, mean, softmax, sum
from autograd.mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from autograd.value import Function, Value, grad

__version__ = _version("chaingrad")

__all__ = [
    "Value",
    "Function",
    "grad",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "gradcheck",
    "GradcheckError",
    "sum",
    "mean",
    "dot",
    "linear",
    "is_batch",
    "logsumexp",
    "softmax",
    "log_softmax",
    "draw_dot",
    "animate_backward",
    "BackwardAnimation",
    "compile",
    "Compiled",
    "TracingError",
]
