"""Notice pages, under /supervision/notices/."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.notice_list_view, name="notice-list"),
    path("export.xlsx", views.notice_export_view, name="notice-export"),
    path("new/", views.notice_draft_view, name="notice-draft"),
    path("<int:pk>/", views.notice_detail_view, name="notice-detail"),
    path("<int:pk>/approve/", views.notice_approve_view, name="notice-approve"),
    path("<int:pk>/issue/", views.notice_issue_view, name="notice-issue"),
    path("<int:pk>/sign-for/", views.notice_sign_for_view, name="notice-sign-for"),
    path("<int:pk>/reply/", views.notice_reply_view, name="notice-reply"),
    path("<int:pk>/accept/", views.notice_accept_view, name="notice-accept"),
    path("<int:pk>/return/", views.notice_return_view, name="notice-return"),
    path("<int:pk>/escalate/", views.notice_escalate_view, name="notice-escalate"),
    path("<int:pk>/history/", views.notice_history_view, name="notice-history"),
    path("files/<int:pk>/", views.notice_attachment_view, name="notice-attachment"),
    path("<int:pk>/print/", views.notice_print, name="notice-print"),
    path("<int:pk>/document.docx", views.notice_document, name="notice-document"),
]
