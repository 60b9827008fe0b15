# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The notification templates an operator edits: Jinja2 files, three per kind, in one directory.

``<kind>.subject.j2`` (one line), ``<kind>.txt.j2`` (plain text) and ``<kind>.html.j2`` (HTML,
autoescaped: a name or address read from a system or a request stays text). A sandboxed
environment (a template cannot reach Python internals) with ``StrictUndefined`` (a misspelt variable
fails the run instead of mailing a blank). The defaults are in ``playbooks/templates/notifications/``.
Every file a template loads (``_macros.j2`` and any include or import too) must be a regular file of
the directory, never reached through a symbolic link: a link could mail out any file the control
node can read.
"""

from __future__ import annotations

import os
import traceback
import unicodedata
from collections.abc import Mapping
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed

try:
    from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
    from jinja2.loaders import split_template_path
    from jinja2.sandbox import SandboxedEnvironment

    HAS_JINJA2 = True
    JINJA2_IMPORT_ERROR: Optional[str] = None
except ImportError:  # the module reports it with missing_required_lib('jinja2')
    HAS_JINJA2 = False
    JINJA2_IMPORT_ERROR = traceback.format_exc()
    FileSystemLoader = object  # so that the loader class below still defines without jinja2

PARTS = ("subject", "txt", "html")


class _NoLinksLoader(FileSystemLoader):
    """``FileSystemLoader`` that refuses a template file or folder that is a symbolic link (its own
    ``followlinks`` only concerns listing the templates, not loading one)."""

    def get_source(self, environment: Any, template: str) -> Any:
        path = self.searchpath[0]
        for piece in split_template_path(template):
            path = os.path.join(path, piece)
            if os.path.islink(path):
                raise TemplateNotFound(f"{template} (a symbolic link)")
        return super().get_source(environment, template)


def _environment(directory: str, autoescape: bool) -> Any:
    return SandboxedEnvironment(
        loader=_NoLinksLoader(directory, followlinks=False),
        undefined=StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Templates:
    """The templates of ``directory``; ``render(kind, context)`` -> (subject, text, html)."""

    def __init__(self, directory: str, *, self_service_url: str = "") -> None:
        if not os.path.isdir(directory) or os.path.islink(directory):
            raise ValidationFailed([Problem(directory, "", "", "the templates directory does not exist")])
        self.directory = directory
        # What every template may name besides its notification's own values: the address of the
        # self-service password page (empty when the run has none).
        self.common = {"self_service_url": self_service_url}
        self._text = _environment(directory, autoescape=False)
        self._html = _environment(directory, autoescape=True)

    def missing(self, kinds: list[str]) -> list[Problem]:
        """One problem per template file of ``kinds`` that is absent or a symbolic link."""
        problems = []
        for kind in kinds:
            for part in PARTS:
                path = os.path.join(self.directory, f"{kind}.{part}.j2")
                if os.path.islink(path) or not os.path.isfile(path):
                    problems.append(Problem(path, kind, part, "the template is missing (or a link)"))
        return problems

    def render(self, kind: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
        """The subject (one line), text and HTML of ``kind`` for ``context``; raises
        ``ValidationFailed`` naming the template file and the error."""
        out = []
        for part in PARTS:
            name = f"{kind}.{part}.j2"
            environment = self._html if part == "html" else self._text
            try:
                rendered = environment.get_template(name).render(**{**self.common, **context})
            except TemplateError as exc:
                path = os.path.join(self.directory, name)
                raise ValidationFailed([Problem(path, kind, part, f"cannot render: {exc}")]) from None
            out.append(unicodedata.normalize("NFC", rendered))
        subject, text, html = out
        return " ".join(subject.split()), text, html
