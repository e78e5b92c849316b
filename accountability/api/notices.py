"""The accountability API's notices: the register (filtered as the page), one notice, a
draft (``POST /notices/``, multipart with files) and the actions on it.

Reads come from :mod:`accountability.selectors`, scoped to the caller: a notice outside
the caller's sight is 404. Every action first asks its rule
(:func:`accountability.actions.refuse_unless`): 403 with the rule's reason, before the body
is read. The services then check the notice's status and the input: 400, per field.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.base import ScopedReadOnlyViewSet

from .. import services
from ..actions import refuse_unless
from ..filtersets import NoticeFilterSet
from ..models import Notice
from ..selectors import notice_detail, notice_list
from .serializers import (
    NoticeDetailSerializer,
    NoticeDraftSerializer,
    NoticeEscalateSerializer,
    NoticeListSerializer,
    NoticeReplySerializer,
    NoticeReturnSerializer,
)

PARSERS = [MultiPartParser, JSONParser]


@extend_schema(tags=["notices"])
@extend_schema_view(
    list=extend_schema(
        description="Notices the caller may see (the register, 督办登记), with the page's "
        "filters; ``overdue`` is as of today."
    ),
    create=extend_schema(
        request={
            "multipart/form-data": NoticeDraftSerializer,
            "application/json": NoticeDraftSerializer,
        },
        responses={201: NoticeDetailSerializer},
        summary="Draft a notice",
    ),
)
class NoticeViewSet(ScopedReadOnlyViewSet):
    """Supervision notices (提示单, 督办单, 警示单, 问责建议单): read, draft, and act on
    them (approve, issue, sign for, reply, accept, return, escalate)."""

    queryset = Notice.objects.none()
    list_serializer_class = NoticeListSerializer
    detail_serializer_class = NoticeDetailSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = NoticeFilterSet
    parser_classes = PARSERS

    def selector_queryset(self) -> QuerySet[Notice]:
        """Visible notices, newest first, with ``overdue``."""
        return notice_list(user=self.caller).order_by("-drafted_at", "-pk")

    def detail_object(self, pk: int) -> Notice:
        """The notice with its people, files and escalations."""
        return notice_detail(user=self.caller, pk=pk)

    def get_serializer_class(self) -> type:
        """Writes parse with their own serializers; reads as the base decides."""
        writes: dict[str, type] = {
            "create": NoticeDraftSerializer,
            "reply": NoticeReplySerializer,
            "return_": NoticeReturnSerializer,
            "escalate": NoticeEscalateSerializer,
        }
        return writes.get(self.action or "") or super().get_serializer_class()

    # --- helpers ---------------------------------------------------------------------------
    def _parse(self, serializer_class: type) -> dict[str, Any]:
        write = serializer_class(data=self.request.data, context=self.get_serializer_context())
        write.is_valid(raise_exception=True)
        return dict(write.validated_data)

    def _respond(self, notice: Notice, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.detail_object(notice.pk)
        return Response(
            NoticeDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code
        )

    def _target(self, name: str) -> Notice:
        """The notice of the URL (404 unseen), if the caller may take the action (403)."""
        notice = self.get_object()
        refuse_unless(name, self.caller, notice)
        return notice

    # --- endpoints -------------------------------------------------------------------------
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Draft a notice through ``notice_draft``."""
        data = self._parse(NoticeDraftSerializer)
        notice = services.notice_draft(
            actor=self.caller,
            campaign=data["campaign"],
            kind=data["kind"],
            facts=data["facts"],
            requirements=data["requirements"],
            reply_deadline=data["reply_deadline"],
            item=data.get("item"),
            target_unit=data.get("target_unit"),
            subject_title=data.get("subject_title", ""),
            group=data.get("group"),
            files=data.get("files", []),
        )
        return self._respond(notice, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: NoticeDetailSerializer}, summary="Approve")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve a draft supervision order or more serious notice (the group's leader)."""
        notice = self._target("approve")
        return self._respond(services.notice_approve(notice=notice, actor=self.caller))

    @extend_schema(request=None, responses={200: NoticeDetailSerializer}, summary="Issue")
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: str | None = None) -> Response:
        """Issue the notice with its official number."""
        notice = self._target("issue")
        return self._respond(services.notice_issue(notice=notice, actor=self.caller))

    @extend_schema(request=None, responses={200: NoticeDetailSerializer}, summary="Sign for")
    @action(detail=True, methods=["post"], url_path="sign-for", url_name="sign-for")
    def sign_for(self, request: Request, pk: str | None = None) -> Response:
        """The target unit signs for the notice (签收)."""
        notice = self._target("sign_for")
        return self._respond(services.notice_sign_for(notice=notice, actor=self.caller))

    @extend_schema(
        request={
            "multipart/form-data": NoticeReplySerializer,
            "application/json": NoticeReplySerializer,
        },
        responses={200: NoticeDetailSerializer},
        summary="Reply with the rectification",
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        """The target unit's reply (整改反馈), with evidence files."""
        notice = self._target("reply")
        data = self._parse(NoticeReplySerializer)
        replied = services.notice_reply(
            notice=notice, actor=self.caller, text=data["text"], files=data.get("files", [])
        )
        return self._respond(replied)

    @extend_schema(request=None, responses={200: NoticeDetailSerializer}, summary="Accept")
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """Accept the reply: the notice is closed (办结)."""
        notice = self._target("accept")
        return self._respond(services.notice_accept(notice=notice, actor=self.caller))

    @extend_schema(
        request=NoticeReturnSerializer,
        responses={200: NoticeDetailSerializer},
        summary="Return for rework",
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        """Return the reply for rework, with the reason."""
        notice = self._target("return")
        data = self._parse(NoticeReturnSerializer)
        return self._respond(
            services.notice_return(notice=notice, actor=self.caller, reason=data["reason"])
        )

    @extend_schema(
        request=NoticeEscalateSerializer,
        responses={201: NoticeDetailSerializer},
        summary="Escalate",
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        """Draft the next (or a more serious) notice about the same matter, linked to this
        one; answers with the new draft."""
        notice = self._target("escalate")
        data = self._parse(NoticeEscalateSerializer)
        following = services.notice_escalate(
            notice=notice,
            actor=self.caller,
            reply_deadline=data["reply_deadline"],
            kind=data.get("kind") or None,
            facts=data.get("facts", ""),
            requirements=data.get("requirements", ""),
        )
        return self._respond(following, status.HTTP_201_CREATED)


routes: list[tuple[str, Any, str]] = [("notices", NoticeViewSet, "notice")]
urlpatterns: list[Any] = []
