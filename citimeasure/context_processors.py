from django.conf import settings


def site(request):
    """Values every page needs: the operator's tile server for Leaflet, the moderator menu."""
    from projects.models import user_is_moderator

    return {
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
        "is_moderator": user_is_moderator(getattr(request, "user", None)),
    }
