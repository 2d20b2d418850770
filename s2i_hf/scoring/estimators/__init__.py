"""Weight-free default estimators, one module per family; importing this package registers them.

Every estimator works on a :class:`~s2i_hf.video.Clip` and shares cached intermediates through
:mod:`.common` (key-frame tiles at native resolution for spatial measures; a strided luma stack of all
frames and its global motion for temporal ones), so that scoring all 14 dimensions costs a fraction of
decoding. Calibrations (raw value -> [0, 1]) are data: ``s2i_hf/catalog/estimators.yaml``.
"""

from . import color, compression, content, motion, spatial, temporal  # noqa: F401
