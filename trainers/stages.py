"""The two curriculum stages as ``SFTTrainer`` subclasses.

- :class:`S2IStage1Trainer`: freezes everything, then unfreezes the vision encoder and the projector (the language
  model stays frozen, and the output layer unless ``train_lm_head``); trains on ``stage1`` rows.
- :class:`S2IStage2Trainer`: LoRA on the language model only: TRL's ``get_peft_config`` of a ``ModelConfig``
  (:class:`~.config.S2IModelConfig` by default), its targets restricted by a regex to modules under the language
  model (names like ``q_proj`` also exist in vision towers), the projector kept trainable through peft's
  ``modules_to_save`` (the vision encoder too with ``train_vision``, the output layer with ``train_lm_head``);
  trains on ``stage2`` rows. Give it the Stage I model to follow the curriculum.

Both build an :class:`~.collator.S2IVideoCollator` from their config's frame sampling (and ``chat_template_path``)
unless given a collator.
"""

from __future__ import annotations

import os
import re

from trl import ModelConfig, SFTTrainer, get_peft_config

from s2i_hf.model_parts import ModelParts, find_model_parts

from .collator import S2IVideoCollator
from .config import S2IModelConfig, S2IStage1Config, S2IStage2Config, lora_target_names


__all__ = ["S2IStage1Trainer", "S2IStage2Trainer", "lora_config_for", "freeze_for_stage1"]


def freeze_for_stage1(model, train_lm_head: bool = False) -> ModelParts:
    """Language model frozen, and the output layer unless ``train_lm_head``; vision encoder and projector
    trainable. Returns the parts."""
    parts = find_model_parts(model)
    for p in model.parameters():
        p.requires_grad_(False)
    parts.set_trainable({"vision": True, "projector": True, "lm_head": train_lm_head})
    return parts


def lora_config_for(
    model, args: S2IStage2Config, model_args: ModelConfig | None = None, *, parts: ModelParts | None = None
):
    """Stage II's peft ``LoraConfig``: TRL's ``get_peft_config(model_args)`` (default: :class:`S2IModelConfig`'s
    LoRA settings) with its target module names matched only inside the language model of ``model``, and the
    projector (``args.train_projector``) / vision encoder (``args.train_vision``) added to ``modules_to_save``.
    ``parts``: the model's :func:`find_model_parts`, found here when not given."""
    model_args = S2IModelConfig() if model_args is None else model_args
    peft_config = get_peft_config(model_args)
    if peft_config is None:
        raise ValueError("Stage II trains LoRA adapters: use_peft must be true (--use_peft true)")
    parts = parts or find_model_parts(model)
    targets = lora_target_names(model_args)
    if not targets:
        raise ValueError("lora_target_modules is empty: name the language-model modules to adapt (e.g. q_proj,v_proj)")
    regex = rf"^{re.escape(parts.language_prefix)}\.(?:.*\.)?(?:{'|'.join(re.escape(t) for t in targets)})$"
    matched = [name for name, _ in model.named_modules() if re.fullmatch(regex, name)]
    if not matched:
        raise ValueError(
            f"no module named {', '.join(targets)} inside the language model ({parts.language_prefix}) of "
            f"{type(model).__name__}: set --lora_target_modules to names that exist there"
        )
    peft_config.target_modules = regex
    extra = list(model_args.lora_modules_to_save or [])
    peft_config.modules_to_save = _modules_to_save(model, args, parts) + [n for n in extra if n] or None
    return peft_config


def _modules_to_save(model, args: S2IStage2Config, parts: ModelParts) -> list[str]:
    """Modules trained in full next to the LoRA layers: the projector (``train_projector``), the vision encoder
    (``train_vision``) and the output layer (``train_lm_head``). A projector inside the vision encoder (Qwen's
    ``visual.merger``) is trained with the encoder."""
    names = parts.projector_modules_to_save(model) if args.train_projector else []
    if args.train_vision:
        vision = parts.names["vision"]
        names = vision + [n for n in names if not any(n == v or n.startswith(v + ".") for v in vision)]
    if args.train_lm_head:
        names += [n for n in parts.names["lm_head"] if n not in names]
    return names


def _template_file(args) -> str | None:
    """The template of ``--chat_template_path`` (a ``.jinja``/``.j2`` file), which the collator trains with; TRL
    sets it on the processor too, so the saved processor carries it."""
    path = args.chat_template_path
    if path is None:
        return None
    if not (os.path.isfile(path) and path.endswith((".jinja", ".j2"))):
        raise ValueError(
            f"--chat_template_path {path}: give a .jinja (or .j2) file holding the chat template to train "
            "with, e.g. the model's template with {% generation %} markers around the assistant's answers"
        )
    with open(path, encoding="utf-8") as fh:
        return fh.read()


class _S2ITrainer(SFTTrainer):
    """Shared by both stages: the video collator and a record of the parts and parameter counts."""

    level_targets = None  # Stage I's score-aware targets (S2IStage1Trainer sets them with --level_score_sigma)
    score_head = None  # Stage I's linear head on the mean visual token (S2IStage1Trainer, --score_head_weight)

    def __init__(self, model, args, train_dataset, processing_class, data_collator=None, **kwargs):
        # label smoothing over the answer tokens is computed here (compute_loss), from the one forward pass; TRL's
        # own path for it is deprecated and runs a second forward pass per step, so it is kept out of TRL's sight
        self.label_smoothing = float(args.label_smoothing_factor or 0.0)
        args.label_smoothing_factor = 0.0
        if data_collator is None:
            data_collator = S2IVideoCollator(
                processing_class,
                args.frame_sampling,
                chat_template=_template_file(args),
                model_name=getattr(model, "name_or_path", None),
                cache_mb=args.render_cache_mb,
                level_targets=self.level_targets,
                score_column="overall_score" if self.score_head is not None else None,
                fragment_jitter=args.fragment_jitter,
                seed=args.seed + args.process_index,
            )
        super().__init__(
            model=model,
            args=args,
            train_dataset=train_dataset,
            processing_class=processing_class,
            data_collator=data_collator,
            **kwargs,
        )
        args.label_smoothing_factor = self.label_smoothing  # the saved arguments say what was trained with

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        """TRL's loss; or, with ``label_smoothing_factor`` or Stage I's level targets, the cross-entropy of the
        answer tokens computed here: label-smoothed, and at each rating's level word against the Gaussian over the
        five level words around the turn's score (:class:`~.level_targets.LevelTargets`). Normalised as the
        Trainer expects: by ``num_items_in_batch`` where the model takes loss kwargs."""
        level_scores = inputs.pop("level_scores", None)
        row_scores = inputs.pop("row_scores", None)
        if not self.label_smoothing and level_scores is None and row_scores is None:
            return super().compute_loss(
                model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch
            )
        import torch

        labels = inputs["labels"]
        extra = {"output_hidden_states": True} if row_scores is not None else {}
        outputs = model(**{k: v for k, v in inputs.items() if k != "labels"}, **extra)
        logits = outputs.logits[:, :-1].float()
        target = labels[:, 1:].to(logits.device)
        per_token = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            target.reshape(-1),
            ignore_index=-100,
            label_smoothing=self.label_smoothing,
            reduction="none",
        ).view(target.shape)
        if level_scores is not None:
            scores = level_scores[:, 1:].to(logits.device)
            at = ~torch.isnan(scores) & (target != -100)
            if bool(at.any()):
                log_p = torch.log_softmax(logits[at], dim=-1)[:, self.level_targets.token_ids]
                soft = -(self.level_targets.distribution(scores[at]) * log_p).sum(-1)
                per_token = per_token.masked_scatter(at, soft)
        loss = per_token.sum()
        if num_items_in_batch is not None and self.model_accepts_loss_kwargs:
            loss = loss / num_items_in_batch
            if self.args.average_tokens_across_devices:
                loss = loss * self.accelerator.num_processes
        else:
            loss = loss / (target != -100).sum().clamp(min=1)
        if row_scores is not None:
            loss = loss + self.args.score_head_weight * self._score_head_loss(inputs["input_ids"], outputs, row_scores)
        return (loss, outputs) if return_outputs else loss

    def _score_head_loss(self, input_ids, outputs, row_scores):
        """Mean squared error of the score head on the mean of each row's visual tokens as the language model
        receives them (its input embeddings at the video/image placeholder positions). With ``content_batches``
        (a batch holds versions of one content) the error of the head's deviations from the batch's mean against
        the scores' deviations from theirs, plus ``score_head_absolute_weight`` times the plain error."""
        import torch

        embeds = outputs.hidden_states[0]
        visual = torch.isin(input_ids, self._visual_token_ids.to(input_ids.device)).unsqueeze(-1)
        pooled = (embeds * visual).sum(1) / visual.sum(1).clamp(min=1)
        target = row_scores.to(embeds.device, embeds.dtype)
        keep = ~torch.isnan(target) & visual.any(1).squeeze(-1)
        if not bool(keep.any()):
            return embeds.new_zeros(())
        predicted = self.score_head(pooled[keep].to(self.score_head.weight.dtype)).squeeze(-1).float()
        target = target[keep].float()
        error = torch.nn.functional.mse_loss(predicted, target)
        if not self.args.content_batches:
            return error
        # one content per batch: its versions' differences from their mean, and a little of the absolute error
        relative = torch.nn.functional.mse_loss(predicted - predicted.mean(), target - target.mean())
        return relative + self.args.score_head_absolute_weight * error

    def create_optimizer(self, *args, **kwargs):
        """The Trainer's optimizer, plus the score head's parameters (no weight decay) where there is one."""
        optimizer = super().create_optimizer(*args, **kwargs)
        if self.score_head is not None:
            head = list(self.score_head.parameters())
            held = {id(p) for group in optimizer.param_groups for p in group["params"]}
            if not any(id(p) in held for p in head):  # the Trainer hands back the same optimizer on later calls
                optimizer.add_param_group({"params": head, "weight_decay": 0.0})
        return optimizer

    def trainable_parameters(self) -> dict[str, int]:
        """Trainable parameter counts per part (vision / projector / language / lm_head), LoRA counted in language."""
        base = self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model
        counts = {"vision": 0, "projector": 0, "language": 0, "lm_head": 0}
        parts = self.model_parts
        prefixes = sorted(
            ((name, part) for part, names in parts.names.items() for name in names if name), key=lambda x: -len(x[0])
        )
        projector_extra = {n for n, _ in parts.params["projector"]}
        for name, p in base.named_parameters():
            if not p.requires_grad:
                continue
            clean = name.replace(".modules_to_save.default", "").replace(".original_module", "")
            part = (
                "projector"
                if clean in projector_extra
                else next(
                    (part for prefix, part in prefixes if clean == prefix or clean.startswith(prefix + ".")), None
                )
            )
            if part is None:
                raise ValueError(f"trainable parameter {name} is outside the model's parts")
            counts[part] += p.numel()
        return counts

    def total_parameters(self) -> int:
        """Parameters of the model as it computes: peft's frozen ``original_module`` copies of the modules it
        trains in full (the projector, the vision encoder with ``train_vision``) are not counted twice."""
        return int(sum(p.numel() for n, p in self.model.named_parameters() if ".original_module." not in f".{n}."))


def _missing_columns(train_dataset, names: tuple[str, ...], strict: bool = False) -> list[str]:
    """The columns of ``names`` that the training rows lack. A dataset that names no columns (a list, a torch
    dataset) lacks none, unless ``strict``."""
    columns = getattr(train_dataset, "column_names", None) or []
    if not columns and not strict:
        return []
    return [c for c in names if c not in columns]


class S2IStage1Trainer(_S2ITrainer):
    """Stage I: vision encoder + projector trained, language model frozen (see module docs)."""

    def __init__(self, model, args: S2IStage1Config, train_dataset, processing_class, data_collator=None, **kwargs):
        if not isinstance(args, S2IStage1Config):
            raise TypeError(f"S2IStage1Trainer needs an S2IStage1Config, got {type(args).__name__}")
        if kwargs.get("peft_config") is not None:
            raise ValueError("Stage I trains the vision encoder and projector in full: no peft_config")
        self.model_parts = freeze_for_stage1(model, args.train_lm_head)
        if args.level_score_sigma:
            from .level_targets import LevelTargets

            missing = _missing_columns(train_dataset, ("scores", "overall_score", "dimensions"))
            if missing:
                raise ValueError(
                    f"--level_score_sigma needs the stage1 rows' {', '.join(missing)} (the scores their levels stand "
                    "for): rebuild the data with this version of `s2i build`, or train without it"
                )
            self.level_targets = LevelTargets(
                getattr(processing_class, "tokenizer", processing_class), args.level_score_sigma
            )
        if args.score_head_weight:
            self._make_score_head(model, train_dataset, args.seed)
        if args.content_batches:
            self._check_content_batches(args, train_dataset)
        super().__init__(model, args, train_dataset, processing_class, data_collator, **kwargs)

    @staticmethod
    def _check_content_batches(args: S2IStage1Config, train_dataset) -> None:
        if not args.score_head_weight:
            raise ValueError(
                "--content_batches trains the score head on differences within a content: give --score_head_weight"
            )
        if not hasattr(train_dataset, "__len__"):
            raise ValueError("--content_batches draws its batches from a map-style dataset: train without --streaming")
        if _missing_columns(train_dataset, ("content_id",), strict=True):
            raise ValueError(
                "--content_batches needs the stage1 rows' content_id column: rebuild the data with this version of "
                "`s2i build --content_from folder`, or train without it"
            )

    def _get_train_sampler(self, train_dataset=None):
        """With ``content_batches``: each batch one content's rows (:class:`~.content_batches.ContentBatchSampler`);
        otherwise the Trainer's own sampler."""
        if not self.args.content_batches:
            return super()._get_train_sampler(train_dataset)
        from .content_batches import ContentBatchSampler

        dataset = train_dataset if train_dataset is not None else self.train_dataset
        return ContentBatchSampler(dataset["content_id"], self._train_batch_size, self.args.seed)

    def _make_score_head(self, model, train_dataset, seed: int) -> None:
        import torch

        if _missing_columns(train_dataset, ("overall_score",)):
            raise ValueError(
                "--score_head_weight needs the stage1 rows' overall_score: rebuild the data with this version of "
                "`s2i build`, or train without it"
            )
        config = model.config
        names = ("video_token_id", "image_token_id", "video_token_index", "image_token_index")
        ids = sorted({int(i) for i in (getattr(config, n, None) for n in names) if i is not None})
        if not ids:
            raise ValueError(f"{type(model).__name__}'s config names no video or image token: no score head for it")
        self._visual_token_ids = torch.tensor(ids)
        embedding = model.get_input_embeddings()
        with torch.random.fork_rng(devices=[]):  # the same head for the same --seed, the caller's RNG left alone
            torch.manual_seed(seed)
            head = torch.nn.Linear(embedding.embedding_dim, 1)
        self.score_head = head.to(embedding.weight.device)
        for p in self.score_head.parameters():  # outside the model, so DDP does not average its gradients: do it here
            p.register_hook(_mean_over_processes)


def _mean_over_processes(grad):
    """``grad`` averaged over the processes of a distributed run (unchanged in a single process)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        grad = grad.clone()
        dist.all_reduce(grad)
        grad /= dist.get_world_size()
    return grad


class S2IStage2Trainer(_S2ITrainer):
    """Stage II: LoRA on the language model, projector trainable (see module docs)."""

    def __init__(
        self,
        model,
        args: S2IStage2Config,
        train_dataset,
        processing_class,
        data_collator=None,
        model_args: ModelConfig | None = None,
        **kwargs,
    ):
        """``model_args``: the LoRA settings (a TRL ``ModelConfig``; default :class:`S2IModelConfig`), made into
        the peft config by :func:`lora_config_for`; a ``peft_config`` given instead is used as it is."""
        if not isinstance(args, S2IStage2Config):
            raise TypeError(f"S2IStage2Trainer needs an S2IStage2Config, got {type(args).__name__}")
        self.model_parts = find_model_parts(model)
        for p in model.parameters():
            p.requires_grad_(False)
        if kwargs.get("peft_config") is None:
            kwargs["peft_config"] = lora_config_for(model, args, model_args, parts=self.model_parts)
        super().__init__(model, args, train_dataset, processing_class, data_collator, **kwargs)
        self._check_lora_placement()

    def _check_lora_placement(self) -> None:
        prefix = self.model_parts.language_prefix + "."
        base = self.model.get_base_model()
        lora = [
            name
            for name, module in base.named_modules()
            if hasattr(module, "lora_A") and len(getattr(module, "lora_A", {}))
        ]
        outside = [name for name in lora if not name.startswith(prefix)]
        if not lora or outside:
            raise RuntimeError(
                f"LoRA placement is wrong: {len(lora)} adapted modules, outside the language model: {outside[:5]}"
            )
