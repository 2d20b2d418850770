"""Thin command scripts behind ``s2i <command>``; each has a ``main(argv)`` and an arguments dataclass."""
