import re
import uuid

from django.core.exceptions import PermissionDenied

from . import requestctx
from .access import AUTHENTICATED, PUBLIC, policy_of
from .roles import has_role
from .security import client_ip, security_event

_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


class RequestContextMiddleware:
    """Gives every request an id (nginx's X-Request-ID when sane) for logs and audit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        id_token = requestctx.request_id.set(request.request_id)
        ip_token = requestctx.client_ip.set(client_ip(request))
        try:
            response = self.get_response(request)
        finally:
            requestctx.request_id.reset(id_token)
            requestctx.client_ip.reset(ip_token)
        response["X-Request-ID"] = request.request_id
        return response


class AccessPolicyMiddleware:
    """Enforces the access policy every view must declare (see subjects.access)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.namespace == "admin":
            return None  # the admin site checks for superusers itself (subjects.admin)
        policy = policy_of(view_func)
        if policy == PUBLIC or (policy == AUTHENTICATED and request.user.is_authenticated):
            return None
        if isinstance(policy, frozenset) and has_role(request.user, *policy):
            return None
        security_event(
            "security.denied",
            f"拒绝访问 {request.path}",
            actor=request.user,
            data={
                "path": request.path,
                "method": request.method,
                "reason": "no access policy" if policy is None else "role",
            },
        )
        raise PermissionDenied
