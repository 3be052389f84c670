"""Pagination for every list in the API."""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Small lists (controllers, holds, requests): page numbers with a total."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class BigListPagination(CursorPagination):
    """Big lists (contacts, audit events): a `next` cursor, no COUNT(*) over the table."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"
