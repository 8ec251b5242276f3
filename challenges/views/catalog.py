from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from challenges import selectors
from challenges.models import Challenge, Difficulty, Theme
from challenges.selectors import Progress


def catalog(request: HttpRequest) -> HttpResponse:
    theme = request.GET.get("theme", "")
    difficulty = request.GET.get("difficulty", "")
    query = request.GET.get("q", "").strip()[:100]
    if theme not in Theme.values:
        theme = ""
    if difficulty not in Difficulty.values:
        difficulty = ""
    challenges = selectors.challenge_list(theme=theme, difficulty=difficulty, query=query)
    progress = selectors.progress_by_challenge(learner=request.user)
    cards = [(c, progress.get(c.pk, Progress())) for c in challenges]
    context = {
        "cards": cards,
        "themes": Theme.choices,
        "difficulties": Difficulty.choices,
        "theme": theme,
        "difficulty": difficulty,
        "query": query,
    }
    template = "challenges/catalog.html#cards" if request.htmx else "challenges/catalog.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def challenge(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(Challenge, slug=slug, published=True)
    progress = selectors.progress_by_challenge(learner=request.user).get(item.pk, Progress())
    return render(request, "challenges/challenge.html", {"challenge": item, "progress": progress})
