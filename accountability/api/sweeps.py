"""The accountability API's sweep runs: when the escalation sweep ran and what it wrote.

Read-only; the system's log across every campaign, so only those
:func:`accountability.rules.can_view_sweep_runs` allows see any run (others get an empty
list, and 404 for one run).
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from config.api.base import ScopedReadOnlyViewSet

from .. import rules
from ..models import SweepRun


class SweepRunSerializer(serializers.ModelSerializer[SweepRun]):
    """One run: its moment, how it was started, its outcome and counts."""

    counts = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    total = serializers.IntegerField(read_only=True)

    class Meta:
        model = SweepRun
        fields = [
            "id",
            "as_of",
            "started_at",
            "finished_at",
            "trigger",
            "dry_run",
            "status",
            "counts",
            "total",
            "statements",
            "errors",
            "task_id",
        ]
        read_only_fields = fields


@extend_schema(tags=["sweep runs"])
class SweepRunViewSet(ScopedReadOnlyViewSet):
    """Runs of the escalation sweep, newest first."""

    queryset = SweepRun.objects.none()  # for the schema's model; rows come from the selector
    list_serializer_class = SweepRunSerializer
    detail_serializer_class = SweepRunSerializer
    filter_backends = ()

    def selector_queryset(self) -> QuerySet[SweepRun]:
        """Every run for those who may read the log, none for anyone else."""
        if not rules.can_view_sweep_runs(self.request.user):
            return SweepRun.objects.none()
        return SweepRun.objects.order_by("-started_at", "-pk")


routes = [("sweep-runs", SweepRunViewSet, "sweep-run")]
urlpatterns: list = []
