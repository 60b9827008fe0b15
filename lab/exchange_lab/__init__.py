# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Exchange lab: a local stand-in for Exchange 2016/2019 and its Active Directory.

It speaks PowerShell remoting (PSRP over WS-Management), EWS and LDAP to the real client libraries
and refuses what Exchange refuses. Test infrastructure only; see README.md for the contract.
"""
