"""bprop's version, in a module of its own so that any module can read it without
importing the package (``from .version import __version__``): the model-file
writer records it, ``bprop --version`` prints it. Keep it equal to
``version`` in pyproject.toml."""

__version__ = "0.1.0"
