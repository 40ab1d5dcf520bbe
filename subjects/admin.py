from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .models import AuditEvent, CompositionMember, Official, PostHistory, Unit, User, UserRole

# The Django admin is for the office's superusers only; everyone else uses the app.
admin.site.has_permission = lambda request: bool(
    request.user.is_active and request.user.is_superuser
)
admin.site.site_header = "评议系统管理后台"
admin.site.site_title = "评议系统管理后台"
admin.site.index_title = "数据管理"


class UserRoleInline(admin.TabularInline):
    model = UserRole
    extra = 1


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "full_name")


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    inlines = [UserRoleInline]
    list_display = ("username", "full_name", "organization", "position", "phone", "is_active")
    list_filter = ("is_active", "is_superuser", "role_grants__role")
    search_fields = ("username", "full_name", "phone", "organization")
    ordering = ("full_name",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("full_name", "organization", "position", "phone", "email")}),
        ("权限", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("username", "full_name", "password1", "password2")},
        ),
    )
    filter_horizontal = ()


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only (R21)."""

    list_display = ("occurred_at", "actor_name", "action", "summary", "ip_address")
    list_filter = ("action",)
    search_fields = ("summary", "actor_name", "target_repr")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "category", "liaison_committee", "is_active")
    list_filter = ("category", "is_active")
    search_fields = ("name", "short_name")
    filter_horizontal = ("contacts",)


class PostHistoryInline(admin.TabularInline):
    model = PostHistory
    extra = 0


@admin.register(Official)
class OfficialAdmin(admin.ModelAdmin):
    """For repairs by superusers; the office edits the roster in the app (audited)."""

    list_display = ("name", "unit", "post", "appointed_on", "in_post_since", "term", "status")
    list_filter = ("status", "term", "unit__category")
    search_fields = ("name", "post", "unit__name")
    list_select_related = ("unit",)
    autocomplete_fields = ("unit", "user")
    inlines = [PostHistoryInline]


@admin.register(CompositionMember)
class CompositionMemberAdmin(admin.ModelAdmin):
    list_display = ("term", "title", "user", "is_active", "order")
    list_filter = ("term", "is_active")
    search_fields = ("user__full_name", "user__username")
    autocomplete_fields = ("user",)
