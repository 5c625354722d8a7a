from django.db.models import Q

from gvi.groups.models import Group, GroupMembership, GroupRelation, Person


def persons_for(user, query: str = ""):
    persons = Person.objects.visible_to(user).select_related("site", "owner")
    if query:
        persons = persons.filter(alias__icontains=query)
    return persons


def groups_for(user, query: str = "", status: str = ""):
    groups = Group.objects.visible_to(user).select_related("site", "owner")
    if query:
        groups = groups.filter(Q(name__icontains=query) | Q(aliases__icontains=query))
    if status:
        groups = groups.filter(status=status)
    return groups


def memberships_of_group(user, group):
    return GroupMembership.objects.visible_to(user).filter(group=group).select_related("person")


def memberships_of_person(user, person):
    return GroupMembership.objects.visible_to(user).filter(person=person).select_related("group")


def relations_of_group(user, group):
    return (
        GroupRelation.objects.visible_to(user)
        .filter(Q(group_a=group) | Q(group_b=group))
        .select_related("group_a", "group_b")
    )
