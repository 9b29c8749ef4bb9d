"""The real URLs plus one bare view, for the benchmarks only (never in citimeasure.urls)."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from citimeasure.urls import urlpatterns as real


@csrf_exempt
def bare(request):
    """200 and nothing else: the floor of what the server and Django's middleware cost."""
    return HttpResponse(b"ok")


urlpatterns = [path("bench/bare/", bare), *real]
