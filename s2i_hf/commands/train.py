"""``s2i train``: the two-stage curriculum on a video LMM.

    s2i train --model HUB_ID_OR_DIR --data DIR_OR_HUB_ID --output_dir DIR [--stage 1|2|both] [--config train.yaml]
    accelerate launch --multi_gpu --num_processes 4 -m s2i_hf.trainers --model ... --data ... --output_dir ...

Every ``SFTConfig`` option is accepted (``--per_device_train_batch_size``, ``--gradient_accumulation_steps``,
``--save_steps`` ...) plus frame sampling (``--num_frames`` or ``--fps``, ``--max_pixels``), per-stage
``--stage1_learning_rate`` / ``--stage2_max_steps`` ..., and every TRL ``ModelConfig`` option for the model and
Stage II's LoRA (``--model_name_or_path``, which ``--model`` spells too, ``--model_revision``, ``--dtype``,
``--attn_implementation``, ``--lora_r``, ``--lora_alpha``, ``--lora_dropout``, ``--lora_target_modules`` ...);
a YAML file given with ``--config`` sets any of them (command-line flags win).

``--output_dir`` is ``SFTConfig``'s own option: the output folder (``stage1/``, ``stage2/``, ``merged/``,
``training_summary.json``), each stage's checkpoints in ``OUTPUT_DIR/checkpoints/stage{1,2}/``. ``--output`` is its
deprecated spelling.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    from trl import TrlParser

    from s2i_hf.artifacts import SUMMARY_FILE
    from s2i_hf.options import deprecated_flag
    from s2i_hf.trainers.config import S2IModelConfig, S2IScriptArguments, S2ITrainConfig
    from s2i_hf.trainers.run import run_training

    parser = TrlParser((S2IScriptArguments, S2ITrainConfig, S2IModelConfig), prog="s2i train")
    try:
        script_args, config, model_args = parser.parse_args_and_config(argv)
    except ValueError as err:
        parser.error(str(err))
    if script_args.output is not None:  # --output (or `output:` in a YAML file), the deprecated spelling
        given = config.output_dir and os.path.abspath(config.output_dir)
        if given and given != script_args.output:
            parser.error("--output and --output_dir disagree: give --output_dir only (--output is deprecated)")
        deprecated_flag("s2i train", "output")
        config.output_dir, script_args.output = script_args.output, None
    if not config.output_dir:
        parser.error("s2i train needs --output_dir DIR (the output folder)")
    config.output_dir = os.path.abspath(config.output_dir)
    if not model_args.model_name_or_path:
        parser.error("s2i train needs --model (--model_name_or_path)")
    if script_args.threads:
        import torch

        torch.set_num_threads(script_args.threads)
    summary = run_training(script_args, config, model_args)
    stages = summary.get("stages", {})
    for name, record in stages.items():
        sizes = (
            "streamed"
            if record.get("rows") is None
            else f"{record['rows']} videos, {record.get('items', record['rows'])} items"
        )
        print(
            f"{name}: {sizes}, {record['steps']} steps, final train loss {record['train_loss']:.4f}, "
            f"trainable {json.dumps(record['trainable_parameters'])}, labels {record.get('assistant_labels')}"
        )
    print(f"outputs in {config.output_dir}: {', '.join(summary.get('outputs', {}).values())}, {SUMMARY_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
