from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """Page pagination; clients may ask for up to 100 rows a page.

    A `page_size` that is not a positive whole number is an error (400 naming the
    parameter), not silently replaced by the default: a script should learn its mistake.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                size = int(raw)
            except ValueError:
                size = 0
            if size < 1:
                raise ValidationError({"page_size": "Give a whole number from 1 to 100."})
        return super().get_page_size(request)

    def get_page_number(self, request, paginator):
        """An empty `page=` is an error like any other non-number (DRF would read it as 1)."""
        if request.query_params.get(self.page_query_param) == "":
            raise ValidationError({"page": "Give a page number."})
        return super().get_page_number(request, paginator)
