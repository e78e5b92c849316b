"""Notice pages, mounted at /supervision/ under the ``accountability`` namespace."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "accountability"

urlpatterns = [
    path("notices/<int:pk>/print/", views.notice_print, name="notice-print"),
    path("notices/<int:pk>/document.docx", views.notice_document, name="notice-document"),
]
