import markdown as md
import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

from challenges.formats import duration

register = template.Library()

ALLOWED_TAGS = {"p", "strong", "em", "code", "pre", "ul", "ol", "li", "a", "br", "blockquote", "h3", "h4"}


@register.filter
def markdown(text: str) -> SafeString:
    """Challenge text is Markdown written by authors; sanitised all the same."""
    html = md.markdown(text or "", extensions=["fenced_code"])
    return mark_safe(nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href"}}))  # noqa: S308


register.filter("duration", duration)
