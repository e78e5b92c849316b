"""The assessments API's honor rolls (创先争优月榜) and leaders' lists (正负面清单).

Reads come from :mod:`assessments.honor` and :mod:`assessments.leader_lists`, scoped to the
caller by :mod:`assessments.rules` (a record outside the caller's sight is 404). Every write
goes through one service of :mod:`assessments.honor`, which asks the same rules (403 with
the rule's reason) and checks the input (400, per field); the office's actions are refused
before the body is read when the caller is not the office over the campaign.

- ``honor-rolls``: list and detail (its highlights and flags as the caller sees them);
  ``POST honor-rolls/{id}/publish/``.
- ``honor-submissions``: list, detail, create (multipart, with evidence ``files``);
  ``POST honor-submissions/{id}/decide/``.
- ``honor-flags``: list, create (or replace a unit's flag), delete.
- ``leader-lists``: read only, one row per leader with both lists.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.jurisdiction import jurisdiction_for
from accounts.models import Unit, User
from campaign.models import Campaign
from campaign.selectors import campaign_list
from config.api.base import ScopedReadOnlyViewSet, ServiceErrorsMixin
from tasks_ledger.api.serializers import check_files
from tasks_ledger.models import TEXT_MAX, TITLE_MAX

from .. import honor, rules
from ..leader_lists import Side, leader_memberships, lists_for
from ..models import (
    EvidenceFile,
    FlagColour,
    HonorFlag,
    HonorRoll,
    HonorSubmission,
)

# Reads for anyone signed in (the selectors scope them); every write asks its rule in the
# service. (Not ChangesNeedManageRights: the assessment office's role sees but does not
# change records in the jurisdiction module, yet it decides the rolls.)
PERMISSIONS = [IsAuthenticated]


# --- serializers --------------------------------------------------------------------------------
class _UnitRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _PersonRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return str(user.name or user.username)


class HonorEvidenceSerializer(serializers.ModelSerializer):
    """An evidence file (download at ``url``, for whoever sees the highlight)."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceFile
        fields = ["id", "original_name", "content_type", "size", "uploaded_at", "url"]

    def get_url(self, evidence: EvidenceFile) -> str:
        from django.urls import reverse

        return reverse("assessments:evidence-file", args=[evidence.pk])


class HonorSubmissionSerializer(serializers.ModelSerializer):
    """A unit's highlight and the office's decision."""

    unit = _UnitRef()
    roll = serializers.IntegerField(source="roll_id")
    month = serializers.DateField(source="roll.month")
    submitted_by = _PersonRef()
    decided_by = _PersonRef(allow_null=True)
    evidence = HonorEvidenceSerializer(many=True)

    class Meta:
        model = HonorSubmission
        fields = [
            "id",
            "roll",
            "month",
            "unit",
            "title",
            "text",
            "status",
            "place",
            "submitted_by",
            "submitted_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "evidence",
        ]


class HonorFlagSerializer(serializers.ModelSerializer):
    """A red or blue flag on a roll."""

    unit = _UnitRef()

    class Meta:
        model = HonorFlag
        fields = ["id", "roll", "unit", "colour", "reason"]


class HonorRollSerializer(serializers.ModelSerializer):
    """A month's roll with how many highlights were submitted and selected."""

    campaign = serializers.IntegerField(source="campaign_id")
    # Plain text rather than a choice: an enum named "status" for draft/published would
    # collide with other models' statuses in the schema.
    status = serializers.CharField(
        read_only=True, help_text="``draft`` (being selected) or ``published`` (frozen)."
    )
    published_by = _PersonRef(allow_null=True)
    submitted_count = serializers.IntegerField()
    selected_count = serializers.IntegerField()

    class Meta:
        model = HonorRoll
        fields = [
            "id",
            "campaign",
            "month",
            "status",
            "note",
            "published_at",
            "published_by",
            "submitted_count",
            "selected_count",
        ]


class HonorRollDetailSerializer(HonorRollSerializer):
    """The roll with the highlights and flags the caller sees (selected ones by place)."""

    submissions = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField()

    class Meta(HonorRollSerializer.Meta):
        fields = [*HonorRollSerializer.Meta.fields, "submissions", "flags"]

    @extend_schema_field(HonorSubmissionSerializer(many=True))
    def get_submissions(self, roll: HonorRoll) -> list[dict[str, Any]]:
        return list(HonorSubmissionSerializer(self.context["board"][0], many=True).data)

    @extend_schema_field(HonorFlagSerializer(many=True))
    def get_flags(self, roll: HonorRoll) -> list[dict[str, Any]]:
        return list(HonorFlagSerializer(self.context["board"][1], many=True).data)


class HonorSubmitSerializer(serializers.Serializer):
    """A highlight to submit (multipart when it carries evidence ``files``)."""

    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.none())
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.none())
    month = serializers.DateField(help_text="Any day of the month (YYYY-MM-DD).")
    title = serializers.CharField(max_length=TITLE_MAX)
    text = serializers.CharField(max_length=TEXT_MAX)
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text="Evidence: PDF, JPG, PNG, Word or Excel files (send as multipart).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.context.get("request"), "user", None)
        if user is None:  # the schema's generator: no choices
            return
        self.fields["campaign"].queryset = campaign_list(user=user)  # type: ignore[attr-defined]
        # Any unit: the service says in words whose highlights the caller may submit (403).
        self.fields["unit"].queryset = Unit.objects.all()  # type: ignore[attr-defined]

    def validate_files(self, files: list[Any]) -> list[Any]:
        return check_files(files)


class HonorDecideSerializer(serializers.Serializer):
    """The office's decision: selected (at ``place``, the next free one when empty) or not."""

    selected = serializers.BooleanField()
    place = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)


class HonorPublishSerializer(serializers.Serializer):
    """An optional note shown with the published roll."""

    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)


class HonorFlagWriteSerializer(serializers.Serializer):
    """A flag to give (it replaces the unit's flag on that roll)."""

    roll = serializers.PrimaryKeyRelatedField(queryset=HonorRoll.objects.none())
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.none())
    colour = serializers.ChoiceField(choices=FlagColour.choices)
    reason = serializers.CharField(max_length=TEXT_MAX)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.context.get("request"), "user", None)
        if user is None:  # the schema's generator: no choices
            return
        self.fields["roll"].queryset = HonorRoll.objects.filter(  # type: ignore[attr-defined]
            rules.viewable_honor_rolls_q(user)
        ).select_related("campaign__owner_unit")
        self.fields["unit"].queryset = jurisdiction_for(user).units()  # type: ignore[attr-defined]


class EntrySerializer(serializers.Serializer):
    """One line of a leader's list."""

    day = serializers.DateField(allow_null=True)
    kind = serializers.CharField()
    origin = serializers.CharField(source="source", help_text="The round, the roll, the notice…")
    text = serializers.CharField()
    link = serializers.CharField()


class LeaderListSerializer(serializers.Serializer):
    """A leader (one leader post in one unit) and their two lists, newest first."""

    membership = serializers.IntegerField(source="membership.pk")
    leader = _PersonRef()
    unit = _UnitRef()
    post = serializers.CharField(source="membership.post")
    title = serializers.CharField(source="membership.title")
    positive = EntrySerializer(many=True)
    negative = EntrySerializer(many=True)


# --- filters ------------------------------------------------------------------------------------
class HonorRollFilterSet(django_filters.FilterSet):
    """Rolls by campaign, status and month."""

    class Meta:
        model = HonorRoll
        fields = ["campaign", "status", "month"]


class HonorSubmissionFilterSet(django_filters.FilterSet):
    """Highlights by roll, campaign, unit and status."""

    campaign = django_filters.NumberFilter(field_name="roll__campaign")

    class Meta:
        model = HonorSubmission
        fields = ["roll", "unit", "status", "campaign"]


class HonorFlagFilterSet(django_filters.FilterSet):
    """Flags by roll and colour."""

    class Meta:
        model = HonorFlag
        fields = ["roll", "colour"]


# --- viewsets -----------------------------------------------------------------------------------
def _office_only(user: Any, roll: HonorRoll) -> None:
    """Refuse before the body is read when the caller is not the office over the campaign."""
    if not rules.can_manage_honor(user, roll.campaign):
        raise PermissionDenied(
            _("Only the assessment office over the campaign selects and publishes its honor rolls.")
        )


@extend_schema(tags=["assessments"])
@extend_schema_view(retrieve=extend_schema(responses={200: HonorRollDetailSerializer}))
class HonorRollViewSet(ScopedReadOnlyViewSet):
    """Monthly honor rolls the caller may see: published ones for everyone taking part in the
    campaign, drafts for the office over it."""

    queryset = HonorRoll.objects.none()
    permission_classes = PERMISSIONS
    list_serializer_class = HonorRollSerializer
    detail_serializer_class = HonorRollDetailSerializer
    filterset_class = HonorRollFilterSet
    ordering_fields = ["month", "published_at"]

    def selector_queryset(self) -> QuerySet[HonorRoll]:
        """Visible rolls, newest month first, with their counts."""
        return honor.honor_roll_list(user=self.caller)

    def _detail(self, roll: HonorRoll) -> Response:
        fresh = self.selector_queryset().get(pk=roll.pk)
        context = {
            **self.get_serializer_context(),
            "board": honor.honor_roll_board(user=self.caller, roll=fresh),
        }
        return Response(HonorRollDetailSerializer(fresh, context=context).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The roll with its highlights (selected by place) and flags."""
        return self._detail(self.get_object())

    @extend_schema(
        request=HonorPublishSerializer,
        responses={200: HonorRollDetailSerializer},
        summary="Publish the roll",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        """Publish (the office): at least one highlight selected; frozen afterwards; the units
        selected and flagged are told."""
        roll = self.get_object()
        _office_only(self.caller, roll)
        write = HonorPublishSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        honor.honor_roll_publish(roll=roll, actor=self.caller, note=write.validated_data["note"])
        return self._detail(roll)


@extend_schema(tags=["assessments"])
@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": HonorSubmitSerializer},
        responses={201: HonorSubmissionSerializer},
        summary="Submit a highlight",
    ),
)
class HonorSubmissionViewSet(ScopedReadOnlyViewSet):
    """Highlights the caller may see: a unit its own (and those below it), the office all of
    its campaign's, everyone the selected ones of published rolls."""

    queryset = HonorSubmission.objects.none()
    permission_classes = PERMISSIONS
    serializer_class = HonorSubmissionSerializer
    filterset_class = HonorSubmissionFilterSet
    parser_classes = [MultiPartParser, JSONParser]
    ordering_fields = ["submitted_at", "place"]

    def selector_queryset(self) -> QuerySet[HonorSubmission]:
        """Visible highlights, newest first."""
        return honor.honor_submission_list(user=self.caller).order_by("-submitted_at", "-pk")

    def _respond(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.selector_queryset().get(pk=pk)
        return Response(HonorSubmissionSerializer(fresh).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Submit through ``honor_submission_create``: all of it, with its files, or nothing."""
        write = HonorSubmitSerializer(data=request.data, context=self.get_serializer_context())
        write.is_valid(raise_exception=True)
        data = write.validated_data
        submission = honor.honor_submission_create(
            actor=self.caller,
            campaign=data["campaign"],
            unit=data["unit"],
            month=data["month"],
            title=data["title"],
            text=data["text"],
            files=data["files"],
        )
        return self._respond(submission.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=HonorDecideSerializer,
        responses={200: HonorSubmissionSerializer},
        summary="Select or not",
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        """The office selects the highlight (at a place) or not, with a note."""
        submission = self.get_object()
        _office_only(self.caller, submission.roll)
        write = HonorDecideSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        honor.honor_submission_decide(
            submission=submission, actor=self.caller, **write.validated_data
        )
        return self._respond(submission.pk)


@extend_schema(tags=["assessments"])
@extend_schema_view(
    create=extend_schema(
        request=HonorFlagWriteSerializer,
        responses={201: HonorFlagSerializer},
        summary="Give a flag",
    ),
    destroy=extend_schema(summary="Remove a flag"),
)
class HonorFlagViewSet(mixins.DestroyModelMixin, ScopedReadOnlyViewSet):
    """Red and blue flags on the rolls the caller may see; the office gives and removes them
    while the roll is a draft."""

    queryset = HonorFlag.objects.none()
    permission_classes = PERMISSIONS
    serializer_class = HonorFlagSerializer
    filterset_class = HonorFlagFilterSet
    ordering_fields = ["roll", "colour"]

    def selector_queryset(self) -> QuerySet[HonorFlag]:
        """Flags of visible rolls."""
        return (
            HonorFlag.objects.filter(rules.viewable_honor_rolls_q(self.caller, "roll"))
            .select_related("unit", "roll__campaign__owner_unit")
            .order_by("-roll__month", "-colour", "unit__path")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Give (or replace) a unit's flag through ``honor_flag_set``."""
        write = HonorFlagWriteSerializer(data=request.data, context=self.get_serializer_context())
        write.is_valid(raise_exception=True)
        data = write.validated_data
        _office_only(self.caller, data["roll"])
        flag = honor.honor_flag_set(actor=self.caller, **data)
        fresh = self.selector_queryset().get(pk=flag.pk)
        return Response(HonorFlagSerializer(fresh).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Remove the flag through ``honor_flag_remove``."""
        flag = self.get_object()
        _office_only(self.caller, flag.roll)
        honor.honor_flag_remove(flag=flag, actor=self.caller)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LeaderListFilterSerializer(serializers.Serializer):
    """The leader lists' query: the campaign (the newest by default), the year (the
    campaign's by default), a unit (and those under it), a leader, one side."""

    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.none(), required=False)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.none(), required=False)
    leader = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False)
    side = serializers.ChoiceField(choices=Side.CHOICES, required=False)
    with_entries = serializers.BooleanField(required=False, default=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.context.get("request"), "user", None)
        if user is None:  # the schema's generator: no choices
            return
        self.fields["campaign"].queryset = campaign_list(user=user)  # type: ignore[attr-defined]
        self.fields["unit"].queryset = jurisdiction_for(user).units()  # type: ignore[attr-defined]
        self.fields["leader"].queryset = User.objects.all()  # type: ignore[attr-defined]


@extend_schema(
    tags=["assessments"],
    parameters=[
        OpenApiParameter("campaign", int, description="Campaign id (the newest by default)."),
        OpenApiParameter("year", int, description="Year (the campaign's by default)."),
        OpenApiParameter("unit", int, description="A unit and those under it."),
        OpenApiParameter("leader", int, description="A leader (user id)."),
        OpenApiParameter("side", str, enum=[Side.POSITIVE, Side.NEGATIVE]),
        OpenApiParameter("with_entries", bool, description="Only leaders with entries."),
    ],
)
class LeaderListViewSet(ServiceErrorsMixin, viewsets.GenericViewSet):
    """Leaders' positive and negative lists (正负面清单), read only: the offices and officials
    see every leader in their jurisdiction, a leader their own. A fixed number of queries
    per page, however many leaders."""

    permission_classes = [IsAuthenticated]
    serializer_class = LeaderListSerializer
    query_serializer_class = LeaderListFilterSerializer  # its 400s are in the schema
    filter_backends: list[Any] = []
    pagination_class = ScopedReadOnlyViewSet.pagination_class

    def get_queryset(self) -> Any:
        """(For the schema: the rows are built per page by the selector.)"""
        from accounts.models import Membership

        return Membership.objects.none()

    def list(self, request: Request) -> Response:
        """A page of leaders with their lists."""
        query = self.query_serializer_class(
            data=request.query_params, context=self.get_serializer_context()
        )
        query.is_valid(raise_exception=True)
        chosen = query.validated_data
        campaign = chosen.get("campaign") or campaign_list(user=self.caller).first()
        if campaign is None:
            return self.get_paginated_response([]) if self.paginator else Response([])
        year, side = chosen.get("year") or campaign.year, chosen.get("side", "")
        memberships = leader_memberships(
            user=self.caller,
            campaign=campaign,
            unit=chosen.get("unit"),
            leader=chosen.get("leader"),
            with_entries=(year, side) if chosen["with_entries"] else None,
        )
        page = self.paginate_queryset(memberships)
        rows = lists_for(
            list(page if page is not None else memberships), campaign=campaign, year=year, side=side
        )
        data = LeaderListSerializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)


routes = [
    ("honor-rolls", HonorRollViewSet, "honor-roll"),
    ("honor-submissions", HonorSubmissionViewSet, "honor-submission"),
    ("honor-flags", HonorFlagViewSet, "honor-flag"),
    ("leader-lists", LeaderListViewSet, "leader-list"),
]
urlpatterns: list = []
