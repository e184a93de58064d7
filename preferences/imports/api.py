"""The imports API: upload a file (202 and where to follow it), follow it, read its
bad rows (line and reason, never the values)."""

import uuid

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import parsers, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from common.api.base import BaseApi, StrictSerializer
from common.api.errors import ErrorSerializer, error_responses
from preferences.imports.presets import PRESETS
from preferences.imports.rows import PlanError, map_parse
from preferences.imports.services import import_upload
from preferences.models import Import, ImportProblem

PROBLEMS_PAGE = 1000


def import_or_404(import_id: str) -> Import:
    try:
        key = uuid.UUID(import_id)
    except ValueError:
        raise NotFound("no such import") from None
    job = Import.objects.filter(key=key).first()
    if job is None:
        raise NotFound("no such import")
    return job


@extend_schema_serializer(component_name="ImportStatus")
class StatusSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="key")
    kind = serializers.ChoiceField(choices=Import.Kind.choices)
    status = serializers.ChoiceField(choices=Import.Status.choices)
    progress = serializers.FloatField(help_text="the share of the file read, 0 to 1")
    lines_done = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    bad = serializers.IntegerField(help_text="rows not imported: see problems_url")
    error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


def _status(request, job: Import) -> dict:
    data = StatusSerializer(job).data
    data["status_url"] = request.build_absolute_uri(
        reverse("api-import", kwargs={"import_id": str(job.key)}))
    data["problems_url"] = request.build_absolute_uri(
        reverse("api-import-problems", kwargs={"import_id": str(job.key)}))
    return data


class ImportCreateApi(BaseApi):
    required_scopes = ("subjects:write",)
    parser_classes = [parsers.MultiPartParser]

    @extend_schema_serializer(component_name="ImportCreateInput")
    class InputSerializer(StrictSerializer):
        file = serializers.FileField(help_text="CSV with a header, or JSON lines")
        kind = serializers.ChoiceField(choices=Import.Kind.choices)
        preset = serializers.ChoiceField(choices=sorted(PRESETS), required=False,
                                         help_text="read a provider's export as it comes")
        map = serializers.CharField(required=False, max_length=2000,
                                    help_text="FIELD=COLUMN pairs, comma-separated")
        topic = serializers.SlugField(required=False, max_length=64,
                                      help_text="the topic a one-list export feeds")

    @extend_schema(
        operation_id="imports_create",
        summary="Import subjects or suppressions from a file",
        description="Answers 202 with the import's id and status URL; a worker imports the "
                    "file in batches, each committed with its checkpoint. A file that cannot "
                    "be read as asked (no address column, unknown preset or topic) is a 400 "
                    "and nothing is kept. The same file again, while its import is "
                    "unfinished, answers that import.",
        request={"multipart/form-data": InputSerializer},
        responses={202: OpenApiResponse(StatusSerializer), **error_responses()},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        try:
            job = import_upload(kind=given["kind"], upload=given["file"], actor=request.auth,
                                preset=given.get("preset", ""),
                                mapping=map_parse(given.get("map", "")),
                                topic_slug=given.get("topic", ""))
        except PlanError as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        return Response(_status(request, job), status=status.HTTP_202_ACCEPTED)


class ImportStatusApi(BaseApi):
    required_scopes = ("subjects:write",)

    @extend_schema(operation_id="imports_status", summary="How far an import got",
                   responses={200: StatusSerializer, 404: OpenApiResponse(
                       ErrorSerializer, description="No import has this id."),
                       **error_responses()})
    def get(self, request, import_id):
        return Response(_status(request, import_or_404(import_id)))


class ImportProblemsApi(BaseApi):
    required_scopes = ("subjects:write",)

    @extend_schema_serializer(component_name="ImportProblem")
    class ProblemSerializer(serializers.Serializer):
        line = serializers.IntegerField()
        reason = serializers.ChoiceField(choices=ImportProblem.Reason.choices)

    @extend_schema(
        operation_id="imports_problems", summary="The rows an import could not take",
        description=f"Line number and reason, in line order, {PROBLEMS_PAGE} at a time "
                    "(`after`: the last line of the previous page). Never the row's values.",
        parameters=[OpenApiParameter("after", int, required=False)],
        responses={200: ProblemSerializer(many=True), 404: OpenApiResponse(
            ErrorSerializer, description="No import has this id."), **error_responses()})
    def get(self, request, import_id):
        job = import_or_404(import_id)
        after = request.query_params.get("after", "0")
        if not after.isdigit() or len(after) > 10:
            raise ValidationError({"after": ["a line number"]})
        rows = list(job.problems.filter(line__gt=int(after)).order_by("line")
                    .values("line", "reason")[:PROBLEMS_PAGE])
        return Response({"problems": self.ProblemSerializer(rows, many=True).data,
                         "more": len(rows) == PROBLEMS_PAGE})
