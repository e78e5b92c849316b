"""Notice pages, under /supervision/notices/."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/print/", views.notice_print, name="notice-print"),
    path("<int:pk>/document.docx", views.notice_document, name="notice-document"),
]
