"""The API's filter backend: django-filter, skipped when a request names no filter."""

import pytest
from django_filters import rest_framework as filters
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.filters import FilterBackend
from core.models import Controller

pytestmark = pytest.mark.django_db


class ControllerFilter(filters.FilterSet):
    built = 0

    slug = filters.CharFilter()
    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Controller
        fields = ["slug"]

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        type(self).built += 1
        super().__init__(*args, **kwargs)


class View:
    filterset_class = ControllerFilter


def _filter(query: str):  # type: ignore[no-untyped-def]
    request = Request(APIRequestFactory().get(f"/x/?{query}"))
    return FilterBackend().filter_queryset(request, Controller.objects.order_by("slug"), View())


def test_a_request_without_filters_builds_no_filter_form(isannointi, retta_oy):
    ControllerFilter.built = 0
    assert [c.slug for c in _filter("page_size=5&cursor=abc")] == ["retta-isannointi", "retta-oy"]
    assert ControllerFilter.built == 0


def test_a_named_filter_filters(isannointi, retta_oy):
    assert [c.slug for c in _filter("slug=retta-oy")] == ["retta-oy"]
    assert [c.slug for c in _filter("name=Isännöinti")] == ["retta-isannointi"]


def test_a_suffixed_parameter_counts_as_the_filter(isannointi, retta_oy):
    ControllerFilter.built = 0
    _filter("slug_max=1")
    assert ControllerFilter.built == 1


def test_an_invalid_filter_value_is_still_refused(isannointi):
    class StrictFilter(filters.FilterSet):
        id = filters.NumberFilter()

    class StrictView:
        filterset_class = StrictFilter

    request = Request(APIRequestFactory().get("/x/?id=not-a-number"))
    with pytest.raises(ValidationError):
        FilterBackend().filter_queryset(request, Controller.objects.all(), StrictView())
