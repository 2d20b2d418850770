"""``python -m s2i_hf.trainers`` / ``accelerate launch -m s2i_hf.trainers``: the same as ``s2i train``."""

import sys

from s2i_hf.commands.train import main


if __name__ == "__main__":
    sys.exit(main())
