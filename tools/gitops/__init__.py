"""The git side of the GitOps cycle (docs/gitops.md): a request becomes a branch, a pull request
gets a plan, main applies once a day under a lock that holds across machines.

Run as ``python -m tools.gitops <command>`` from a clone (or ``-C <clone>``). Only the standard
library and git, always with argument lists, never a shell.
"""
