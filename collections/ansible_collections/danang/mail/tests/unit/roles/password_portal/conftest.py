# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fixtures of portal_client for every test of the self-service page."""

from portal_client import app, client, clock, directory

__all__ = ["app", "client", "clock", "directory"]
