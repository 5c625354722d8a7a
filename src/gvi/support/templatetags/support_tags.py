"""`{% load support_tags %}{% support_facts_for_person person %}` on the person page: the facts disclosed to
the reader's organisation about that person (each logged as read), and for the owning social-services
organisation links to its own support cases for the person. Renders nothing for everyone else."""

from django import template

from gvi.support.selectors import facts_for_person, support_cases_for_person

register = template.Library()


@register.inclusion_tag("support/_facts_for_person.html", takes_context=True)
def support_facts_for_person(context, person):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or person is None:
        return {"support_facts": [], "support_cases": []}
    return {
        "support_facts": facts_for_person(user, person),
        "support_cases": list(support_cases_for_person(user, person)[:20]),
    }
