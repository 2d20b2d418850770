"""``python -m s2i_hf.dataset_builder`` (the entry point for ``accelerate launch -m``): same as ``s2i build``."""

import sys

from s2i_hf.commands.build import main


sys.exit(main())
