from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin

from preferences.models import ApiKey, ConsentEvent, Subject, Subscription, Suppression, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "channel", "default_subscribed", "position")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    """No email column or search: staff find people through the console's digest lookup."""

    list_display = ("public_id", "external_id", "country", "unsubscribed_all", "created_at")
    readonly_fields = ("public_id", "email_digest", "created_at", "updated_at")
    exclude = ("email",)

    def has_change_permission(self, request, obj=None):
        return False  # changes go through services so they are recorded


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("subject", "topic", "status", "paused_until", "updated_at")
    list_filter = ("status", "topic")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(ConsentEvent)
class ConsentEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "subject", "topic", "kind", "old_status", "new_status",
                    "source")
    list_filter = ("source", "kind")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ("email_digest", "reason", "created_at")
    list_filter = ("reason",)


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    list_display = (*APIKeyModelAdmin.list_display, "scopes")
