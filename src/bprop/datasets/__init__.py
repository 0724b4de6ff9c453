"""Data sets: the bundled digits, the MNIST loader and its IDX format, and your own files."""

from bprop.datasets.idx import read_idx, write_idx
from bprop.datasets.mnist import load_mnist

from bprop.datasets.digits import load_digits
from bprop.datasets.tables import Table, read_table

__all__ = ["load_digits", "load_mnist", "read_idx", "write_idx", "read_table", "Table"]
