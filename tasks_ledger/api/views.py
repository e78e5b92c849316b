"""API views for ledgers, items and their workflows, and review meetings.

Reads come from :mod:`tasks_ledger.selectors`, already scoped to the caller (an object
outside the jurisdiction is 404); writes go through :mod:`tasks_ledger.services`, which
decide whether the caller may act (403) and whether the change is valid (400, per field).

Items are edited under optimistic concurrency: the detail carries ``version`` and an
``ETag`` (``W/"<version>"``); a change sends it back as ``If-Match`` or as ``version`` in the
body. Without either the answer is 428; on a stale copy the service refuses the write and
the answer is 409 with the item as it is now under ``current``, so nothing is overwritten.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, permissions, status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.base import ScopedReadOnlyViewSet
from config.expressions import AnyOf
from tasks_ledger import keyset, rules
from tasks_ledger.filtersets import (
    AreaFilterSet,
    ExtensionRequestFilterSet,
    LedgerFilterSet,
    LedgerItemFilterSet,
    MeetingFilterSet,
    ProgressReportFilterSet,
    SignOffRequestFilterSet,
    StatusChangeRequestFilterSet,
)
from tasks_ledger.models import (
    Area,
    ExtensionRequest,
    Ledger,
    LedgerItem,
    LedgerKind,
    ProgressReport,
    ReviewMeeting,
    SignOffRequest,
    StatusChangeRequest,
)
from tasks_ledger.selectors import (
    area_list,
    extension_queue,
    extension_request_list,
    ledger_item_detail,
    ledger_items,
    ledger_list,
    meeting_detail,
    meeting_list,
    progress_report_list,
    project_rates,
    report_queue,
    signoff_queue,
    signoff_request_list,
    status_change_queue,
    status_change_request_list,
    with_project_rates,
)
from tasks_ledger.services import (
    DecisionSpec,
    MilestoneSpec,
    StaleEdit,
    extension_approve,
    extension_refuse,
    extension_request_create,
    ledger_item_create,
    ledger_item_report_progress,
    ledger_item_update,
    meeting_create,
    progress_report_accept,
    progress_report_return,
    signoff_approve,
    signoff_request_create,
    signoff_return,
    status_change_approve,
    status_change_refuse,
    status_change_request_create,
)

from .pagination import ItemCursorPagination
from .permissions import REVIEW_ITEM, UPDATE_ITEM, VERIFY_SIGNOFF, LedgerRules, Rule
from .rows import item_rows, own_columns
from .serializers import (
    AreaSerializer,
    ConflictResponseSerializer,
    ExtensionRequestSerializer,
    ExtensionWriteSerializer,
    LedgerItemCreateSerializer,
    LedgerItemDetailSerializer,
    LedgerItemListSerializer,
    LedgerItemUpdateSerializer,
    LedgerSerializer,
    MeetingDetailSerializer,
    MeetingListSerializer,
    MeetingWriteSerializer,
    NoteSerializer,
    PreconditionRequiredResponseSerializer,
    ProgressReportSerializer,
    ProgressResultSerializer,
    ProgressWriteSerializer,
    ReasonSerializer,
    RefusalSerializer,
    SignOffRequestSerializer,
    SignOffResultSerializer,
    SignOffWriteSerializer,
    StatusChangeRequestSerializer,
    StatusChangeWriteSerializer,
)

#: The item's own columns the list serializer writes (its relations and annotations come
#: with them: api/rows.py).
LIST_COLUMNS = own_columns(LedgerItemListSerializer.Meta.fields)

WRITE_PERMISSIONS = [permissions.IsAuthenticated, LedgerRules]


# --- optimistic concurrency --------------------------------------------------------------------
class Conflict(exceptions.APIException):
    """409: the item changed since the caller read it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This item was changed by someone else since you opened it.")
    default_code = "conflict"


class PreconditionRequired(exceptions.APIException):
    """428: a change to an item must say which version it was made on."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _(
        'Send the version you read, as an If-Match header (the item\'s ETag) or as "version" '
        "in the body."
    )
    default_code = "precondition_required"


# W/"12", "12" or 12: the weak ETag we send, and the forms clients are likely to send back.
ETAG_VERSION = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')


def item_etag(item: LedgerItem) -> str:
    """The item's ETag: its version, weak because the light also moves with the date."""
    return f'W/"{item.version}"'


def expected_version(request: Request, body_version: int | None) -> int:
    """The version the caller's change was made on, from ``If-Match`` or the body.

    Missing: 428. An ``If-Match`` that is not one of our ETags, or one that disagrees with
    the body's ``version``: 400.
    """
    header = request.headers.get("If-Match")
    header_version: int | None = None
    if header is not None:
        match = ETAG_VERSION.match(header)
        if match is None:
            raise exceptions.ValidationError(
                {"version": [_('If-Match must be the item\'s ETag, e.g. W/"3".')]}
            )
        header_version = int(match.group(1))
    if header_version is None and body_version is None:
        raise PreconditionRequired()
    if header_version is not None and body_version is not None and header_version != body_version:
        raise exceptions.ValidationError(
            {"version": [_("The version in the body differs from If-Match.")]}
        )
    return header_version if header_version is not None else int(body_version)  # type: ignore[arg-type]


IF_MATCH = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    type=str,
    required=False,
    description='The ETag of the item as read (W/"<version>"); or send "version" in the body. '
    "One of the two is required.",
)
ETAG = OpenApiParameter(
    "ETag",
    location=OpenApiParameter.HEADER,
    type=str,
    response=[200, 201],
    description='The item\'s version as a weak ETag, W/"<version>": send it back as If-Match.',
)
CONFLICT_EXAMPLE = OpenApiExample(
    "Conflict",
    value={
        "type": "client_error",
        "errors": [
            {
                "code": "conflict",
                "detail": "This item was changed by someone else since you opened it.",
                "attr": None,
            }
        ],
        "current": {"id": 1, "version": 4, "progress": 60, "...": "..."},
    },
    status_codes=["409"],
    response_only=True,
)
VERSIONED_RESPONSES: dict[int, Any] = {
    409: OpenApiResponse(
        ConflictResponseSerializer,
        description="The item changed since it was read: nothing was written, "
        "``current`` is the item now.",
    ),
    428: OpenApiResponse(
        PreconditionRequiredResponseSerializer,
        description="Neither If-Match nor version was sent.",
    ),
}


# --- ledgers and areas -----------------------------------------------------------------------
@extend_schema(tags=["ledgers"])
class LedgerViewSet(ScopedReadOnlyViewSet):
    """Ledgers (台账) of the caller's campaigns that hold items the caller sees, or that the
    caller's units own; filter by campaign, area and kind."""

    queryset = Ledger.objects.none()  # for the schema's model; rows come from the selector
    serializer_class = LedgerSerializer
    filterset_class = LedgerFilterSet
    ordering_fields = ["sort_order", "title"]

    def selector_queryset(self) -> QuerySet[Ledger]:
        """Visible ledgers in area order, with their visible item counts."""
        return ledger_list(user=self.caller)


@extend_schema(tags=["ledgers"])
class AreaViewSet(ScopedReadOnlyViewSet):
    """Areas of work (方面) of the caller's campaigns."""

    queryset = Area.objects.none()
    serializer_class = AreaSerializer
    filterset_class = AreaFilterSet
    ordering_fields = ["sort_order", "name"]

    def selector_queryset(self) -> QuerySet[Area]:
        """Areas of every campaign the caller takes part in."""
        return area_list(user=self.caller).order_by("campaign", "sort_order", "name")


# --- items -----------------------------------------------------------------------------------
class FewUnitsFilterBackend(DjangoFilterBackend):
    """django-filter's backend, telling the FilterSet the few units (a county's or less) the
    view has limited the items to, as the page does (``LedgerItemFilterSet.few_units``)."""

    def get_filterset(self, request: Any, queryset: QuerySet[Any], view: Any) -> Any:
        """The FilterSet, with the view's ``few_units``."""
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            filterset.few_units = getattr(view, "few_units", None)
        return filterset


@extend_schema(tags=["ledger items"])
@extend_schema_view(
    list=extend_schema(
        description="Items the caller may see, with the page's filters. Pages with cursors "
        "(``next``/``previous``), ordered by ``ordering`` (or area, ledger and number) "
        "then id, so walking the pages never repeats or skips an item."
    ),
    retrieve=extend_schema(parameters=[ETAG]),
    create=extend_schema(
        request=LedgerItemCreateSerializer,
        responses={201: LedgerItemDetailSerializer},
        parameters=[ETAG],
    ),
    partial_update=extend_schema(
        request=LedgerItemUpdateSerializer,
        responses={200: LedgerItemDetailSerializer, **VERSIONED_RESPONSES},
        parameters=[IF_MATCH, ETAG],
        examples=[CONFLICT_EXAMPLE],
    ),
)
class LedgerItemViewSet(ScopedReadOnlyViewSet):
    """Ledger items: read, add, change (under optimistic concurrency), report progress, and
    ask for sign-off or an extension.

    Objects outside the caller's jurisdiction are 404; read-only callers get 403 on any
    write; the services decide whether the caller may change this item (403) and whether
    the change is valid (400, per field).
    """

    queryset = LedgerItem.objects.none()
    permission_classes = WRITE_PERMISSIONS
    action_rules: dict[str, Rule] = {
        "partial_update": UPDATE_ITEM,
        "progress": UPDATE_ITEM,
        "signoff": UPDATE_ITEM,
        "extension": UPDATE_ITEM,
        "status_request": UPDATE_ITEM,
    }
    list_serializer_class = LedgerItemListSerializer
    detail_serializer_class = LedgerItemDetailSerializer
    # The FilterSet is the page's and carries its own ``ordering``; DRF's ordering filter
    # would read the same parameter, so it is left out.
    filter_backends = [FewUnitsFilterBackend]
    filterset_class = LedgerItemFilterSet
    #: Set by :meth:`keyset_items` for the FilterSet (:class:`FewUnitsFilterBackend`).
    few_units: list[int] | None = None
    pagination_class = ItemCursorPagination
    # The page's default order (area, ledger, number in natural order: "2" before "10")
    # spelled as the item's own columns and an annotation; pages follow the page's keyset
    # orders (tasks_ledger.keyset), which end with the id.
    default_ordering = ("area_order", "ledger_id", "code_length", "code")

    def selector_queryset(self) -> QuerySet[LedgerItem]:
        """Visible items with the light, days left and the projects' rates annotated."""
        items = with_project_rates(ledger_items(user=self.caller))
        return items.annotate(code_length=Length("code")).order_by(*self.default_ordering)

    def keyset_items(self) -> QuerySet[LedgerItem]:
        """The items in the caller's jurisdiction, nothing joined or annotated: what the
        FilterSet narrows and a page's keys are read from, scoped as the page scopes them
        (:func:`tasks_ledger.keyset.scope_unit_ids`: the units' ids read first, none when
        they are every unit). A join by path made PostgreSQL guess "few", and sort a county's
        every item with all the row's joins: about 0.2 s at a province."""
        scope = keyset.scope_unit_ids(self.caller)
        self.few_units = keyset.few_units(scope)
        items = LedgerItem.objects.all()
        return items if scope is None else items.filter(AnyOf(F("unit_id"), scope))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One page: the keys of its rows after the cursor (an index range however deep),
        then those rows with everything a row shows, by id."""
        paginator = self.paginator
        assert isinstance(paginator, ItemCursorPagination)
        ids = paginator.paginate_ids(self.filter_queryset(self.keyset_items()), request)
        if ids is None:  # no page size at all (never, with the settings' PAGE_SIZE)
            return super().list(request, *args, **kwargs)
        # The rows as plain objects from one query compiled once a day (api/rows.py), which
        # the list serializer writes as it writes items.
        rows = item_rows(ids=ids, columns=LIST_COLUMNS)
        return paginator.get_paginated_response(self.get_serializer(rows, many=True).data)

    def detail_object(self, pk: int) -> LedgerItem:
        """The item with everything its page shows; a key project with its four rates."""
        item = ledger_item_detail(user=self.caller, pk=pk)
        rates = None
        if item.kind == LedgerKind.KEY_PROJECT:
            rates = project_rates(ledger_items(user=self.caller, with_led=True).filter(pk=item.pk))
        item.project_rates = rates  # type: ignore[attr-defined]
        return item

    def get_serializer_class(self) -> type:
        """Writes parse with their own serializers; reads as the base decides."""
        writes: dict[str, type] = {
            "create": LedgerItemCreateSerializer,
            "partial_update": LedgerItemUpdateSerializer,
            "progress": ProgressWriteSerializer,
            "signoff": SignOffWriteSerializer,
            "extension": ExtensionWriteSerializer,
            "status_request": StatusChangeWriteSerializer,
        }
        return writes.get(self.action or "") or super().get_serializer_class()

    def handle_exception(self, exc: Exception) -> Response:
        """A stale write is 409 in the standard error shape, with the item as it is now."""
        if isinstance(exc, StaleEdit):
            # Read before the error handler marks the transaction for rollback.
            current = self._fresh(exc.current.pk)
            response = super().handle_exception(Conflict(detail=str(exc)))
            response.data["current"] = self._data(current)
            response["ETag"] = item_etag(current)
            return response
        return super().handle_exception(exc)

    # --- helpers ---------------------------------------------------------------------------
    def _fresh(self, pk: int) -> LedgerItem:
        return self.detail_object(pk)

    def _data(self, item: LedgerItem) -> dict[str, Any]:
        return LedgerItemDetailSerializer(item, context=self.get_serializer_context()).data

    def _item_response(self, item: LedgerItem, code: int = status.HTTP_200_OK) -> Response:
        return Response(self._data(item), status=code, headers={"ETag": item_etag(item)})

    def _parse(self, serializer_class: type, *, partial: bool = False) -> dict[str, Any]:
        write = serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        write.is_valid(raise_exception=True)
        return dict(write.validated_data)

    # --- endpoints -------------------------------------------------------------------------
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The item, with its version as ETag."""
        return self._item_response(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add an item through ``ledger_item_create``."""
        data = self._parse(LedgerItemCreateSerializer)
        milestones = [MilestoneSpec(**m) for m in data.pop("milestones", [])]
        measure_texts = data.pop("measure_texts", [])
        item = ledger_item_create(
            actor=self.caller, milestones=milestones, measure_texts=measure_texts, **data
        )
        return self._item_response(self._fresh(item.pk), status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change some fields through ``ledger_item_update`` if the caller's copy is current."""
        item = self.get_object()
        data = self._parse(LedgerItemUpdateSerializer, partial=True)
        version = expected_version(request, data.pop("version", None))
        if not data:  # nothing to change: no new version to make everyone else's copy stale
            return self._item_response(item)
        ledger_item_update(actor=self.caller, item=item, expected_version=version, **data)
        return self._item_response(self._fresh(item.pk))

    @extend_schema(
        request={
            "multipart/form-data": ProgressWriteSerializer,
            "application/json": ProgressWriteSerializer,
        },
        responses={201: ProgressResultSerializer, **VERSIONED_RESPONSES},
        parameters=[IF_MATCH, ETAG],
        examples=[CONFLICT_EXAMPLE],
        summary="Report progress",
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, JSONParser])
    def progress(self, request: Request, pk: str | None = None) -> Response:
        """Report progress (percent, what was done, evidence files) on the current version."""
        item = self.get_object()
        data = self._parse(ProgressWriteSerializer)
        version = expected_version(request, data.pop("version", None))
        report = ledger_item_report_progress(
            item=item,
            reporter=self.caller,
            percent=data["percent"],
            text=data["text"],
            files=data.get("files", []),
            expected_version=version,
            lower_reason=data.get("lower_reason", ""),
        )
        fresh = self._fresh(item.pk)
        report_data = ProgressReportSerializer(
            progress_report_list(user=self.caller).get(pk=report.pk),
            context=self.get_serializer_context(),
        ).data
        return Response(
            {"report": report_data, "item": self._data(fresh)},
            status=status.HTTP_201_CREATED,
            headers={"ETag": item_etag(fresh)},
        )

    @extend_schema(
        request={"multipart/form-data": SignOffWriteSerializer},
        responses={201: SignOffResultSerializer, **VERSIONED_RESPONSES},
        parameters=[IF_MATCH, ETAG],
        examples=[CONFLICT_EXAMPLE],
        summary="Request sign-off",
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def signoff(self, request: Request, pk: str | None = None) -> Response:
        """Ask for sign-off (销号) with a completion report and evidence."""
        item = self.get_object()
        data = self._parse(SignOffWriteSerializer)
        version = expected_version(request, data.pop("version", None))
        signoff = signoff_request_create(
            item=item,
            requester=self.caller,
            note=data["note"],
            files=data["files"],
            expected_version=version,
        )
        fresh = self._fresh(item.pk)
        request_data = SignOffRequestSerializer(
            signoff_request_list(user=self.caller).get(pk=signoff.pk),
            context=self.get_serializer_context(),
        ).data
        return Response(
            {"request": request_data, "item": self._data(fresh)},
            status=status.HTTP_201_CREATED,
            headers={"ETag": item_etag(fresh)},
        )

    @extend_schema(
        request=ExtensionWriteSerializer,
        responses={201: ExtensionRequestSerializer},
        summary="Request an extension",
    )
    @action(detail=True, methods=["post"])
    def extension(self, request: Request, pk: str | None = None) -> Response:
        """Ask, before the deadline, to move it (延期申请); the deadline stays until approved."""
        item = self.get_object()
        data = self._parse(ExtensionWriteSerializer)
        extension = extension_request_create(
            item=item,
            requester=self.caller,
            reason=data["reason"],
            new_deadline=data["new_deadline"],
        )
        fresh = extension_request_list(user=self.caller).get(pk=extension.pk)
        return Response(
            ExtensionRequestSerializer(fresh, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=StatusChangeWriteSerializer,
        responses={201: StatusChangeRequestSerializer},
        summary="Request a suspension, cancellation or resumption",
    )
    @action(detail=True, methods=["post"], url_path="status-request", url_name="status-request")
    def status_request(self, request: Request, pk: str | None = None) -> Response:
        """Ask the office to suspend, cancel or resume the item; nothing changes until the
        office approves (``status-requests/<id>/approve/``)."""
        item = self.get_object()
        data = self._parse(StatusChangeWriteSerializer)
        change = status_change_request_create(
            item=item, requester=self.caller, change=data["change"], reason=data["reason"]
        )
        fresh = status_change_request_list(user=self.caller).get(pk=change.pk)
        return Response(
            StatusChangeRequestSerializer(fresh, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


# --- reports and requests: queues and decisions ------------------------------------------------
ITEM_FILTER_NOTE = (
    "Without ``item``: the queue of pending ones within the caller's reach. With ``item``: "
    "every one on that item, whatever its status."
)


class _ItemRecordViewSet(ScopedReadOnlyViewSet):
    """Records about items: a queue by default, an item's whole history with ``?item=``."""

    permission_classes = WRITE_PERMISSIONS

    def wants_history(self) -> bool:
        """Whether the caller asked for one item's records rather than the queue."""
        params = getattr(self.request, "query_params", {})
        return bool(params.get("item"))

    def _respond(self, obj: Any) -> Response:
        fresh = self.detail_object(obj.pk)
        return Response(
            self.get_serializer_class()(fresh, context=self.get_serializer_context()).data
        )

    def _reason(self, serializer_class: type) -> dict[str, Any]:
        write = serializer_class(data=self.request.data)
        write.is_valid(raise_exception=True)
        return dict(write.validated_data)


@extend_schema(tags=["ledger reviews"])
@extend_schema_view(list=extend_schema(description=ITEM_FILTER_NOTE))
class SignOffRequestViewSet(_ItemRecordViewSet):
    """Sign-off requests (销号): the queue, an item's history, and the verifier's decision."""

    queryset = SignOffRequest.objects.none()
    action_rules: dict[str, Rule] = {"approve": VERIFY_SIGNOFF, "return_": VERIFY_SIGNOFF}
    serializer_class = SignOffRequestSerializer
    filterset_class = SignOffRequestFilterSet
    ordering_fields = ["requested_at"]

    def selector_queryset(self) -> QuerySet[SignOffRequest]:
        """Pending requests on visible items, or every request on one item."""
        if self.wants_history():
            return signoff_request_list(user=self.caller)
        return signoff_queue(user=self.caller)

    def detail_object(self, pk: int) -> SignOffRequest:
        """Any visible request, so deciding a decided one says so (400) rather than 404."""
        return signoff_request_list(user=self.caller).get(pk=pk)

    @extend_schema(request=None, responses={200: SignOffRequestSerializer}, summary="Verify")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Verify: the item is signed off with who and when."""
        signoff = self.get_object()
        signoff_approve(request=signoff, verifier=self.caller)
        return self._respond(signoff)

    @extend_schema(
        request=ReasonSerializer, responses={200: SignOffRequestSerializer}, summary="Return"
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        """Return with a reason: the item stays as it was."""
        signoff = self.get_object()
        data = self._reason(ReasonSerializer)
        signoff_return(request=signoff, verifier=self.caller, reason=data["reason"])
        return self._respond(signoff)


@extend_schema(tags=["ledger reviews"])
@extend_schema_view(list=extend_schema(description=ITEM_FILTER_NOTE))
class ExtensionRequestViewSet(_ItemRecordViewSet):
    """Extension requests (延期申请): the queue, an item's history, and the decision."""

    queryset = ExtensionRequest.objects.none()
    action_rules: dict[str, Rule] = {"approve": REVIEW_ITEM, "refuse": REVIEW_ITEM}
    serializer_class = ExtensionRequestSerializer
    filterset_class = ExtensionRequestFilterSet
    ordering_fields = ["requested_at", "new_deadline"]

    def selector_queryset(self) -> QuerySet[ExtensionRequest]:
        """Pending requests on items the caller manages, or every request on one item."""
        if self.wants_history():
            return extension_request_list(user=self.caller)
        return extension_queue(user=self.caller)

    def detail_object(self, pk: int) -> ExtensionRequest:
        """Any visible request."""
        return extension_request_list(user=self.caller).get(pk=pk)

    @extend_schema(
        request=NoteSerializer, responses={200: ExtensionRequestSerializer}, summary="Approve"
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve: the item's deadline moves to the requested date."""
        extension = self.get_object()
        data = self._reason(NoteSerializer)
        extension_approve(request=extension, approver=self.caller, note=data["note"])
        return self._respond(extension)

    @extend_schema(
        request=RefusalSerializer, responses={200: ExtensionRequestSerializer}, summary="Refuse"
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str | None = None) -> Response:
        """Refuse with a reason: the deadline stays."""
        extension = self.get_object()
        data = self._reason(RefusalSerializer)
        extension_refuse(request=extension, approver=self.caller, note=data["note"])
        return self._respond(extension)


@extend_schema(tags=["ledger reviews"])
@extend_schema_view(list=extend_schema(description=ITEM_FILTER_NOTE))
class ProgressReportViewSet(_ItemRecordViewSet):
    """Progress reports: the office's queue, an item's timeline, acceptance and return."""

    queryset = ProgressReport.objects.none()
    action_rules: dict[str, Rule] = {"accept": REVIEW_ITEM, "return_": REVIEW_ITEM}
    serializer_class = ProgressReportSerializer
    filterset_class = ProgressReportFilterSet
    ordering_fields = ["created_at"]

    def selector_queryset(self) -> QuerySet[ProgressReport]:
        """Pending reports on items the caller manages, or every report on one item."""
        if self.wants_history():
            return progress_report_list(user=self.caller)
        return report_queue(user=self.caller)

    def detail_object(self, pk: int) -> ProgressReport:
        """Any visible report."""
        return progress_report_list(user=self.caller).get(pk=pk)

    @extend_schema(request=None, responses={200: ProgressReportSerializer}, summary="Accept")
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """Accept the report."""
        report = self.get_object()
        progress_report_accept(report=report, reviewer=self.caller)
        return self._respond(report)

    @extend_schema(
        request=ReasonSerializer, responses={200: ProgressReportSerializer}, summary="Return"
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        """Return with a reason: the item keeps its accepted progress."""
        report = self.get_object()
        data = self._reason(ReasonSerializer)
        progress_report_return(report=report, reviewer=self.caller, reason=data["reason"])
        return self._respond(report)


@extend_schema(tags=["ledger reviews"])
@extend_schema_view(list=extend_schema(description=ITEM_FILTER_NOTE))
class StatusChangeRequestViewSet(_ItemRecordViewSet):
    """Suspension, cancellation and resumption requests: the office's queue, an item's
    history, and the decision."""

    queryset = StatusChangeRequest.objects.none()
    action_rules: dict[str, Rule] = {"approve": REVIEW_ITEM, "refuse": REVIEW_ITEM}
    serializer_class = StatusChangeRequestSerializer
    filterset_class = StatusChangeRequestFilterSet
    ordering_fields = ["requested_at"]

    def selector_queryset(self) -> QuerySet[StatusChangeRequest]:
        """Pending requests on items the caller manages, or every request on one item."""
        if self.wants_history():
            return status_change_request_list(user=self.caller)
        return status_change_queue(user=self.caller)

    def detail_object(self, pk: int) -> StatusChangeRequest:
        """Any visible request."""
        return status_change_request_list(user=self.caller).get(pk=pk)

    @extend_schema(
        request=NoteSerializer, responses={200: StatusChangeRequestSerializer}, summary="Approve"
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve: the item is suspended or cancelled (no light), or resumed."""
        change = self.get_object()
        data = self._reason(NoteSerializer)
        status_change_approve(request=change, approver=self.caller, note=data["note"])
        return self._respond(change)

    @extend_schema(
        request=RefusalSerializer, responses={200: StatusChangeRequestSerializer}, summary="Refuse"
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str | None = None) -> Response:
        """Refuse with a reason: the item stays as it is."""
        change = self.get_object()
        data = self._reason(RefusalSerializer)
        status_change_refuse(request=change, approver=self.caller, note=data["note"])
        return self._respond(change)


# --- meetings --------------------------------------------------------------------------------
@extend_schema(tags=["ledgers"])
@extend_schema_view(
    create=extend_schema(request=MeetingWriteSerializer, responses={201: MeetingDetailSerializer})
)
class MeetingViewSet(ScopedReadOnlyViewSet):
    """Review meetings (调度会, 推进会, 会商会); recording one turns its decisions into
    ledger items with chain and deadline, all in one transaction."""

    queryset = ReviewMeeting.objects.none()
    permission_classes = WRITE_PERMISSIONS
    create_rule: Rule = (
        lambda user, _obj: rules.can_record_meeting(user),
        _("Only the campaign office records review meetings."),
    )
    list_serializer_class = MeetingListSerializer
    detail_serializer_class = MeetingDetailSerializer
    filterset_class = MeetingFilterSet
    ordering_fields = ["date", "title"]

    def selector_queryset(self) -> QuerySet[ReviewMeeting]:
        """Meetings hosted or attended within the caller's reach, newest first."""
        return meeting_list(user=self.caller)

    def detail_object(self, pk: int) -> ReviewMeeting:
        """The meeting with the decisions the caller may see."""
        return meeting_detail(user=self.caller, pk=pk)

    def get_serializer_class(self) -> type:
        """Creating parses with the write serializer."""
        if self.action == "create":
            return MeetingWriteSerializer
        return super().get_serializer_class()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record the meeting and its decisions through ``meeting_create``."""
        write = MeetingWriteSerializer(data=request.data, context=self.get_serializer_context())
        write.is_valid(raise_exception=True)
        data = dict(write.validated_data)
        decisions = [
            DecisionSpec(
                ledger=d["ledger"],
                unit=d["unit"],
                title=d["title"],
                deadline=d["deadline"],
                chain=d.get("chain"),
                measures=d.get("measures", ""),
                milestones=[MilestoneSpec(**m) for m in d.get("milestones", [])],
            )
            for d in data.pop("decisions", [])
        ]
        meeting = meeting_create(
            actor=self.caller,
            attending_units=data.pop("attending_units", []),
            decisions=decisions,
            **data,
        )
        fresh = meeting_detail(user=self.caller, pk=meeting.pk)
        return Response(
            MeetingDetailSerializer(fresh, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
