"""Weight-free default estimators, one module per family; importing this package registers them all.

===========  ===========================  =========================================================
module       scorer (dimension)           raw measure
===========  ===========================  =========================================================
spatial      crete_roffet_sharpness       Crete-Roffet sharpness on edges above the noise (sharpness)
             tile_focus                   80th percentile of per-region sharpness (focus)
noise        immerkaer_noise              Immerkaer noise sigma on flat regions (noise)
compression  bitstream_pixel_compression  worse of bitstream and pixel cues, as a QP (compression; default)
             rate_compression             bits per pixel against content and codec (compression)
             quantiser_compression        the encoder's quantiser, read from the bitstream (compression)
             grid_step_compression        isolated steps on the 8-px coding grid (compression)
temporal     frozen_frame_fluency         repeated frames + irregular timestamps (fluency)
             block_median_flicker         detrended block-median log-luma change (flicker)
motion       phase_jitter_stability       phase-correlation camera shake (stability)
             path_smoothness_trajectory   reversals / inconsistency of the camera path (trajectory)
             moving_region_motion_blur    sharpness of the regions that move (motion_blur)
color        two_sided_exposure           clipped plateaus and tone levels, both sides (exposure)
             peak_chroma_color            99th-percentile opponent chroma (color; default)
             hasler_colorfulness          Hasler-Suesstrunk colourfulness (color)
             contrast_lighting            RMS contrast minus clipping (lighting)
content      siti_content                 ITU-T P.910 SI / TI (content)
             thirds_composition           gradient-energy centroid vs thirds (composition)
===========  ===========================  =========================================================

Every estimator reads shared intermediates cached on the clip (:mod:`.common`), so that scoring all 14
dimensions costs a fraction of decoding. Calibrations (raw value -> [0, 1]) and the default of each dimension
are data: ``s2i_hf/catalog/estimators.yaml``.
"""

from . import color, common, compression, content, motion, noise, spatial, temporal  # noqa: F401
