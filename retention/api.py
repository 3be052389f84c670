"""`GET|POST /api/v1/purge-runs/`: the DPO's view of the purge runs, and starting one."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.access import Area, AreaPermission
from core.models import Controller
from core.pagination import StandardPagination
from retention.models import PurgeRun
from retention.selectors import counts_for_controllers, purge_runs_visible_to
from retention.services import purge_run_request


class PurgeRunSerializer(serializers.ModelSerializer):
    """Counts are keyed by record type and controller slug, limited to the user's controllers."""

    started_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    controllers = serializers.SerializerMethodField()
    deleted = serializers.SerializerMethodField()
    kept = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField()

    class Meta:
        model = PurgeRun
        fields = [
            "id",
            "status",
            "dry_run",
            "trigger",
            "started_by",
            "started_at",
            "finished_at",
            "as_of",
            "controllers",
            "deleted",
            "kept",
            "files_deleted",
            "errors",
            "windows",
            "longest_window_ms",
        ]
        read_only_fields = fields

    def _slugs(self) -> dict[str, str]:
        return self.context["controller_slugs"]

    def _by_slug(self, counts: dict[str, Any]) -> dict[str, Any]:
        slugs = self._slugs()
        reduced = counts_for_controllers(counts, [int(pk) for pk in slugs])
        return {key: {slugs[pk]: value for pk, value in per.items()} for key, per in reduced.items()}

    def get_controllers(self, run: PurgeRun) -> list[str]:
        slugs = self._slugs()
        return sorted(slugs[str(pk)] for pk in run.controllers.values_list("pk", flat=True) if str(pk) in slugs)

    def get_deleted(self, run: PurgeRun) -> dict[str, dict[str, int]]:
        return self._by_slug(run.deleted)

    def get_kept(self, run: PurgeRun) -> dict[str, dict[str, dict[str, int]]]:
        return self._by_slug(run.kept)

    def get_errors(self, run: PurgeRun) -> int:
        return len(run.errors)


class PurgeRunRequestSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False)


@extend_schema(tags=["retention"])
class PurgeRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Purge runs of the DPO's controllers; POST starts a run (or a dry run) of them: 409 while
    another run is in progress."""

    serializer_class = PurgeRunSerializer
    permission_classes = [AreaPermission.for_area(Area.DATA_PROTECTION)]
    pagination_class = StandardPagination

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return PurgeRun.objects.none()
        return purge_runs_visible_to(self.request.user).prefetch_related("controllers")

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        user = getattr(self.request, "user", None)
        ids = list(user.controller_ids()) if user is not None and user.is_authenticated else []
        context["controller_slugs"] = {
            str(pk): slug for pk, slug in Controller.objects.filter(pk__in=ids).values_list("pk", "slug")
        }
        return context

    @extend_schema(request=PurgeRunRequestSerializer, responses={201: PurgeRunSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = PurgeRunRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        run = purge_run_request(user=request.user, dry_run=given.validated_data["dry_run"])
        run.refresh_from_db()  # the task may have run already (in-process demo)
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)
