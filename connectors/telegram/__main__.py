"""`python -m connectors.telegram set-webhook|delete-webhook|info --credentials credentials.yml`."""

import sys

from connectors.telegram.cli import main

sys.exit(main())
