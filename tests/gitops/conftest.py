"""The ``forge`` fixture of gitops_forge.py for every test here."""

from gitops_forge import forge

__all__ = ["forge"]
