# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The self-service password page of danang.mail (role password_portal): ``create_app``."""

from .app import create_app

__all__ = ["create_app"]
