"""Layers: each maps (batch, n_in) to (batch, n_out) and back-propagates."""

from .base import Layer
from .dense import Dense
from .dropout import Dropout

__all__ = ["Layer", "Dense", "Dropout"]
