"""The demo page: pick a video, ask the tutor, click a citation to jump there."""

from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from courses.selectors import videos_visible_to

DEMO_VIDEOS = 50


# The page embeds YouTube's player and loads its IFrame API script (which loads its own).
YOUTUBE_POLICY = {
    "frame-src": ["https://www.youtube.com", "https://www.youtube-nocookie.com"],
    "script-src": ["https://www.youtube.com", "https://s.ytimg.com"],
    "img-src": ["https://i.ytimg.com"],
}


# The page posts to /api/chat with the session: it needs the CSRF cookie set.
@csp_update(YOUTUBE_POLICY)
@ensure_csrf_cookie
@require_GET
def demo_page(request: HttpRequest) -> HttpResponse:
    videos = list(
        videos_visible_to(user=request.user).order_by("course__title", "order_index")[:DEMO_VIDEOS]
    )
    return render(request, "chat/demo.html", {"videos": videos})
