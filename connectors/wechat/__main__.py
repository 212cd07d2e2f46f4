"""`python -m connectors.wechat check --credentials credentials.yml`."""

import sys

from connectors.wechat.cli import main

sys.exit(main())
