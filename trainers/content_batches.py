"""Stage I's content batches (``--content_batches``): every batch holds versions of one source content.

A built S2I table may say which videos were made from the same source content (its ``content_id`` column, ``s2i build
--content_from folder``: a clip and its blurred, grainy, compressed... copies). Batches drawn from one content let
Stage I's score head learn from how the versions' scores differ (:meth:`~.stages.S2IStage1Trainer._score_head_loss`),
which a change of scene cannot explain, instead of from which scene it is shown.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import torch


__all__ = ["ContentBatchSampler"]

logger = logging.getLogger(__name__)


class ContentBatchSampler(torch.utils.data.Sampler[int]):
    """Row indices whose every run of ``batch_size`` comes from one content.

    Each epoch, each content's rows are shuffled and cut into batches; a content whose row count is not a multiple of
    ``batch_size`` fills its last batch with more of its own rows drawn at random (every row is seen at least once
    per epoch); the batches are then shuffled. Rows without a content (``None``) share batches at random. The order
    depends only on ``seed`` and the epoch (:meth:`set_epoch`, or the count of iterations when it is not called).
    """

    def __init__(self, contents: Sequence[str | None], batch_size: int, seed: int = 0):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.groups: dict[object, list[int]] = {}
        for i, content in enumerate(contents):
            self.groups.setdefault(content, []).append(i)
        self._epoch: int | None = None
        self._iterations = 0
        if None in self.groups and len(self.groups) == 1:
            logger.warning("content batches: no row names its content; the batches are drawn at random")

    def __len__(self) -> int:
        return sum(-(-len(rows) // self.batch_size) * self.batch_size for rows in self.groups.values())

    def set_epoch(self, epoch: int) -> None:
        self._epoch = int(epoch)

    def batches(self, epoch: int) -> list[list[int]]:
        """The batches of ``epoch``, in order."""
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        batches = []
        for rows in self.groups.values():
            order = [rows[k] for k in torch.randperm(len(rows), generator=generator).tolist()]
            fill = (-len(order)) % self.batch_size
            order += [rows[k] for k in torch.randint(len(rows), (fill,), generator=generator).tolist()]
            batches += [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        return [batches[k] for k in torch.randperm(len(batches), generator=generator).tolist()]

    def __iter__(self) -> Iterator[int]:
        epoch = self._epoch if self._epoch is not None else self._iterations
        self._iterations += 1
        for batch in self.batches(epoch):
            yield from batch
