# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What arrives: a request file read into requests (``request_forms.Request``).

A form 01/02 in YAML (``strict_yaml``) or in the XLSX template, or the records software's CSV or
XLSX export with its column mapping (one request per agency and day). Files are read as regular
files only, never through a link, with a size limit; a legacy-encoded name refuses the whole file.
"""

from __future__ import annotations

import os
from typing import Optional

from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.records_export import (
    Mapping,
    export_requests,
    pick_sheet,
)
from ansible_collections.danang.mail.plugins.module_utils.request_forms import (
    NAME_FIELDS,
    Request,
    parse_form,
    xlsx_form_data,
)
from ansible_collections.danang.mail.plugins.module_utils.request_tables import (
    FILE_MAX_BYTES,
    legacy_problems,
    read_csv,
    read_xlsx,
)

FORM_SUFFIXES = (".yml", ".yaml")


def read_file(path: str, max_bytes: int = FILE_MAX_BYTES) -> bytes:
    """The bytes of a regular file (no link followed), at most ``max_bytes``."""
    return strict_yaml.read_regular_file(path, path, max_bytes)


def read_request(path: str, mapping_path: Optional[str] = None) -> list[Request]:
    """The requests in ``path``; raises ``ValidationFailed`` naming file, entry and field."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix in FORM_SUFFIXES:
        if mapping_path:
            message = (
                "a form (YAML) needs no request_mapping: the mapping is for the records software's export"
            )
            raise ValidationFailed([Problem(path, "", "", message)])
        text = strict_yaml.decode(read_file(path), path)
        data, labels = strict_yaml.parse(text, path, dates=False, max_chars=FILE_MAX_BYTES), None
    elif suffix == ".xlsx" and not mapping_path:
        data, labels = xlsx_form_data(read_xlsx(read_file(path), path), path)
    elif suffix in (".xlsx", ".csv"):
        if not mapping_path:
            message = "a records-software export needs its column mapping: -e request_mapping=<file> (R-72)"
            raise ValidationFailed([Problem(path, "", "", message)])
        mapping_text = strict_yaml.decode(read_file(mapping_path, strict_yaml.FILE_MAX_BYTES), mapping_path)
        mapping = Mapping(
            strict_yaml.parse(mapping_text, mapping_path, dates=False, max_chars=strict_yaml.FILE_MAX_BYTES),
            mapping_path,
        )
        if suffix == ".csv":
            sheet = read_csv(read_file(path), path)
        else:
            sheet = pick_sheet(read_xlsx(read_file(path), path), mapping, path)
        return export_requests(sheet, mapping, path)
    else:
        message = "a request is a form (.yml, .yaml, .xlsx) or a records-software export (.csv, .xlsx)"
        raise ValidationFailed([Problem(path, "", "", message)])
    request, problems = parse_form(data, path, labels)
    if request is not None:  # a legacy-encoded name refuses the whole form
        cells = [(p.where, k, p.values[k]) for p in request.people for k in NAME_FIELDS if k in p.values]
        cells += [(m.where, "name", m.name) for m in request.mailboxes if m.name]
        problems = legacy_problems(cells, path)
    if problems:
        raise ValidationFailed(problems)
    return [request]
