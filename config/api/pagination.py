"""Pagination used by every API list."""

from __future__ import annotations

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Page-number pagination with a client-chosen page size up to 200."""

    page_size_query_param = "page_size"
    max_page_size = 200
