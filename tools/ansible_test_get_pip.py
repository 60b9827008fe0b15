"""Offline stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test creates a virtual environment per sanity test and bootstraps pip in it with a
script fetched from a host that CI cannot reach. This script does the same job with what Python
ships: ensurepip installs the bundled pip, which then installs the pip ansible-test asked for
from PyPI. ansible-test runs pip with every pip configuration file disabled, so the bundled pip
is pointed at the system's trust store (newer pips use it by default). `make sanity` places this
file in ansible-test's cache.
"""

import ensurepip
import ssl
import subprocess
import sys

# get-pip.py options that `pip install` does not know.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

ensurepip.bootstrap(upgrade=True)
args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
system_ca = ssl.get_default_verify_paths().openssl_cafile
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--cert", system_ca, *args]))
