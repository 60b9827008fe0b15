"""The exit codes of ``python -m tools.gitops``, for pipelines and operators (docs/gitops.md)."""

OK = 0
FAILED = 1  # a playbook or git failed: its output says why
USAGE = 2  # wrong arguments (argparse)
LOCKED = 3  # another daily job holds the lock: nothing was done
PUSH_REFUSED = 4  # main kept moving: the push was refused every time, nothing was merged
DIRTY = 5  # the work tree has changes: refused before doing anything
