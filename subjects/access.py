"""Who may open which view. Deny by default (R9, R10).

Every view declares its policy with one of these decorators; `AccessPolicyMiddleware`
refuses any view that declares none, so a forgotten decorator fails closed. Object-level
scoping (an official sees only their own review) is done by the fetchers of each app,
which answer 404 so that existence is not leaked.
"""

from functools import wraps

from django.contrib.auth.decorators import login_not_required

PUBLIC = "public"
AUTHENTICATED = "authenticated"


def public(view):
    """Reachable without logging in (login page, public announcements, questionnaires)."""
    view = login_not_required(view)
    view.access_policy = PUBLIC
    return view


def authenticated(view):
    """Any logged-in user, whatever their role (home redirect, own password, logout)."""
    view.access_policy = AUTHENTICATED
    return view


def roles_required(*roles: str):
    """Logged-in users holding at least one of `roles`; everyone else gets 403."""
    if not roles:
        raise ValueError("roles_required needs at least one role")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, **kwargs)

        wrapped.access_policy = frozenset(roles)
        return wrapped

    return decorator


def policy_of(view_func):
    policy = getattr(view_func, "access_policy", None)
    if policy is None:
        view_class = getattr(view_func, "view_class", None)
        policy = getattr(view_class, "access_policy", None)
    return policy
