"""Find a video LMM's vision encoder, projector and language model.

Known families come from ``catalog/model_families.yaml`` (attribute paths keyed by ``config.model_type``); any other
model goes through a fallback: transformers' ``get_decoder()`` for the language model,
``get_encoder(modality="image")`` or a conventional attribute for the vision tower, and a conventional name for the
projector. A part that cannot be found raises :class:`ModelPartsError` naming it, so an unseen family either works
or says exactly what is missing.

>>> parts = find_model_parts(model)                      # doctest: +SKIP
>>> parts.names["projector"], parts.language_prefix       # doctest: +SKIP

Importing this module is cheap (no torch); :func:`catalog_entry` reads a family's paths without a model.
:func:`model_families` is the one loader of the family catalogue (its tiny-model facts are read by
:mod:`s2i_hf.testing`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .catalog import load_yaml


__all__ = ["ModelParts", "ModelPartsError", "catalog_entry", "find_model_parts", "get_module", "model_families"]

_CATALOG = "model_families.yaml"
# Fallback names, tried in order under the model's inner `.model` and then the model itself.
_VISION_NAMES = ("vision_tower", "visual", "vision_model", "vision_encoder", "vision")
_PROJECTOR_NAMES = ("multi_modal_projector", "mm_projector", "connector", "projector", "merger", "visual.merger")
_LANGUAGE_NAMES = ("language_model", "text_model", "llm")


class ModelPartsError(ValueError):
    """A part of the model could not be located."""


def model_families() -> dict:
    """The family catalogue ``catalog/model_families.yaml`` as read (``families``, ``tokenizer_styles``); shared,
    do not modify it."""
    return load_yaml(_CATALOG)


def catalog_entry(model_type: str) -> dict | None:
    """The catalogue's paths for ``model_type`` (keys vision, projector, language, optional projector_params)."""
    family = model_families()["families"].get(model_type)
    return None if family is None else family["parts"]


def get_module(model, dotted: str):
    """``get_module(model, "model.visual")`` -> the sub-module (or parameter) at that attribute path."""
    try:
        return model.get_submodule(dotted)
    except AttributeError:
        return model.get_parameter(dotted)  # a bare parameter such as LLaVA's image_newline (AttributeError if none)


def _try(model, dotted: str):
    try:
        return get_module(model, dotted)
    except AttributeError:
        return None


def _path_of(model, module) -> str | None:
    for name, candidate in model.named_modules():
        if candidate is module:
            return name
    return None


@dataclass
class ModelParts:
    """Dotted paths of each part of ``model`` and the parameters that belong to each.

    ``names``: part -> list of module paths (``lm_head`` included). ``params``: part -> list of
    ``(name, parameter)``; every parameter of the model is in exactly one part (Qwen's mergers count as
    projector, not vision). ``source`` says whether the catalogue or the fallback found them.
    """

    model_type: str
    names: dict[str, list[str]]
    params: dict[str, list[tuple[str, object]]] = field(repr=False)
    source: str = "catalog"

    @property
    def language_prefix(self) -> str:
        return self.names["language"][0]

    def set_trainable(self, parts: dict[str, bool]) -> None:
        """``requires_grad`` for every parameter of the named parts (others untouched)."""
        for part, flag in parts.items():
            for _, p in self.params[part]:
                p.requires_grad_(flag)

    def projector_modules_to_save(self, model) -> list[str]:
        """Module names for peft's ``modules_to_save`` that cover the projector (a ModuleList's children)."""
        import torch

        out = []
        for name in self.names["projector"]:
            module = get_module(model, name)
            if isinstance(module, (torch.nn.ModuleList, torch.nn.ModuleDict)):
                out += [f"{name}.{child}" for child, _ in module.named_children()]
            else:
                out.append(name)
        return out


def find_model_parts(model) -> ModelParts:
    """Locate vision encoder, projector, language model and output layer of ``model`` (see module docs)."""
    import torch

    model_type = getattr(model.config, "model_type", type(model).__name__)
    entry = catalog_entry(model_type)
    if entry is not None:
        names = {
            "vision": [entry["vision"]],
            "projector": list(entry["projector"]),
            "language": [entry["language"]],
        }
        extra = list(entry.get("projector_params", ()))
        missing = [f"{part} ({path})" for part, paths in names.items() for path in paths if _try(model, path) is None]
        if missing:
            raise ModelPartsError(
                f"{type(model).__name__} ({model_type}): the catalogue's paths do not exist in this model: "
                f"{', '.join(missing)}; the family's layout changed (update catalog/model_families.yaml)"
            )
        source = "catalog"
    else:
        names = _fallback(model, model_type)
        # bare parameters next to the parts (LLaVA's learnt image_newline) go with the projector
        extra = [
            f"{prefix}{n}"
            for prefix, owner in (("model.", getattr(model, "model", None)), ("", model))
            if owner is not None
            for n, _ in owner.named_parameters(recurse=False)
        ]
        source = "fallback"

    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    head_name = _path_of(model, head) if head is not None else None
    names["lm_head"] = [head_name] if head_name else []

    projector = []
    for path in names["projector"]:
        prefix = path + "."
        projector += [(prefix + n, p) for n, p in get_module(model, path).named_parameters()]
    projector += [
        (path, get_module(model, path)) for path in extra if isinstance(_try(model, path), torch.nn.Parameter)
    ]
    taken = {id(p) for _, p in projector}
    vision = [
        (names["vision"][0] + "." + n, p)
        for n, p in get_module(model, names["vision"][0]).named_parameters()
        if id(p) not in taken
    ]
    taken |= {id(p) for _, p in vision}
    language = [
        (names["language"][0] + "." + n, p)
        for n, p in get_module(model, names["language"][0]).named_parameters()
        if id(p) not in taken
    ]
    taken |= {id(p) for _, p in language}
    lm_head = (
        [(head_name + "." + n, p) for n, p in head.named_parameters() if id(p) not in taken]
        if head is not None
        else []
    )
    taken |= {id(p) for _, p in lm_head}
    unclaimed = [n for n, p in model.named_parameters() if id(p) not in taken]
    if unclaimed:
        raise ModelPartsError(
            f"{type(model).__name__} ({model_type}): parameters outside vision / projector / language / lm_head: "
            f"{', '.join(unclaimed[:5])}{' ...' if len(unclaimed) > 5 else ''}"
        )
    params = {"vision": vision, "projector": projector, "language": language, "lm_head": lm_head}
    return ModelParts(model_type=model_type, names=names, params=params, source=source)


def _fallback(model, model_type: str) -> dict[str, list[str]]:
    """Paths found through transformers' accessors and conventional attribute names."""
    problems = []
    language = None
    if hasattr(model, "get_decoder"):
        try:
            language = _path_of(model, model.get_decoder())
        except Exception:  # noqa: BLE001 - an accessor that is not implemented for this class
            language = None
    language = language or _first(model, _LANGUAGE_NAMES)
    if not language:
        problems.append("the language model (get_decoder() and attributes " + "/".join(_LANGUAGE_NAMES) + ")")

    vision = None
    if hasattr(model, "get_encoder"):
        try:
            encoder = model.get_encoder(modality="image")
            vision = _path_of(model, encoder) if encoder is not None and encoder is not model else None
        except Exception:  # noqa: BLE001
            vision = None
    if vision == language:
        vision = None
    vision = vision or _first(model, _VISION_NAMES)
    if not vision:
        problems.append(
            "the vision encoder (get_encoder(modality='image') and attributes " + "/".join(_VISION_NAMES) + ")"
        )

    projector = _first(model, _PROJECTOR_NAMES)
    if not projector:
        problems.append("the projector (attributes " + "/".join(_PROJECTOR_NAMES) + ")")
    if problems:
        raise ModelPartsError(
            f"{type(model).__name__} (model_type {model_type!r}) is not in catalog/model_families.yaml and the "
            f"fallback could not find {'; '.join(problems)}. Add an entry for {model_type!r} to the catalogue."
        )
    return {"vision": [vision], "projector": [projector], "language": [language]}


def _first(model, names) -> str | None:
    for prefix in ("model.", ""):
        for name in names:
            if _try(model, prefix + name) is not None:
                return prefix + name
    return None
