from django import forms
from django.contrib import admin, messages
from rest_framework_api_key.admin import APIKeyModelAdmin

from common.admin import ReadOnlyAdmin
from common.crypto import email_digest
from preferences.models import (
    ApiKey,
    CaptureCount,
    CaptureRule,
    ConsentEvent,
    Delivery,
    Destination,
    Purpose,
    Subject,
    Subscription,
    Suppression,
    Topic,
)
from preferences.propagation.delivery import deliveries_retry, destination_resume
from preferences.suppressions import (
    LIFTABLE,
    NotLiftable,
    suppression_by_address_add,
    suppression_lift,
)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "channel", "brand", "default_subscribed", "position")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    """No email column or search: staff find people through the console's digest lookup."""

    list_display = ("public_id", "external_id", "country", "unsubscribed_all", "created_at")
    readonly_fields = ("public_id", "email_digest", "created_at", "updated_at")
    exclude = ("email",)

    def has_change_permission(self, request, obj=None):
        return False  # changes go through services so they are recorded

    def has_delete_permission(self, request, obj=None):
        return False  # a subject leaves through erasure, which records what left


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("subject", "topic", "status", "paused_until", "updated_at")
    list_filter = ("status", "topic")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "subject", "topic", "kind", "old_status", "new_status",
                    "source")
    list_filter = ("source", "kind")


class SuppressionAddForm(forms.ModelForm):
    """Staff type the address; only its keyed digest is stored."""

    address = forms.EmailField(max_length=320, help_text="Normalised and digested; the "
                               "address itself is never stored.")
    reason = forms.ChoiceField(choices=[(r.value, r.label) for r in Suppression.Reason
                                        if r in LIFTABLE], initial=Suppression.Reason.MANUAL)

    class Meta:
        model = Suppression
        fields = ("reason",)


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """Add by typing the address; delete lifts it (not an erasure, nor a person's own
    opt-out). Both go through `preferences.suppressions`, so they are recorded."""

    list_display = ("email_digest", "reason", "created_at")
    list_filter = ("reason",)
    form = SuppressionAddForm
    fields = ("address", "reason")
    actions = ["lift"]

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        address = form.cleaned_data["address"]
        try:
            suppression_by_address_add(email=address, reason=form.cleaned_data["reason"],
                                       actor=request.user)
        except ValueError:
            raise forms.ValidationError("not a valid email address") from None
        saved = Suppression.objects.get(email_digest=email_digest(address))
        obj.pk, obj.email_digest, obj.reason = saved.pk, saved.email_digest, saved.reason

    def delete_model(self, request, obj):
        try:
            suppression_lift(email_digest=obj.email_digest, actor=request.user)
        except NotLiftable:
            self.message_user(request, "An erasure, or a person's own opt-out, is not lifted "
                              "by staff.", messages.ERROR)

    @admin.action(description="Lift the selected suppressions")
    def lift(self, request, queryset):
        lifted = refused = 0
        for row in queryset:
            try:
                lifted += suppression_lift(email_digest=row.email_digest, actor=request.user)
            except NotLiftable:
                refused += 1
        self.message_user(request, f"{lifted} lifted; {refused} kept (erased, or the "
                          "person's own opt-out).")


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    list_display = (*APIKeyModelAdmin.list_display, "scopes")


@admin.register(Destination)
class DestinationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "enabled", "paused_at", "include_email", "last_success_at",
                    "consecutive_failures")
    readonly_fields = ("paused_at", "pause_reason", "next_probe_at", "consecutive_failures",
                       "last_success_at", "created_at")
    filter_horizontal = ("topics",)
    actions = ["resume"]

    @admin.action(description="Resume (clear the automatic pause)")
    def resume(self, request, queryset):
        for destination in queryset.filter(paused_at__isnull=False):
            destination_resume(destination=destination, actor=request.user, by="staff")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("key", "destination", "event_type", "status", "attempts", "last_error",
                    "created_at", "delivered_at")
    list_filter = ("status", "destination", "event_type")
    actions = ["retry"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry the selected failed deliveries")
    def retry(self, request, queryset):
        count = deliveries_retry(ids=list(queryset.values_list("id", flat=True)),
                                 actor=request.user)
        self.message_user(request, f"{count} failed deliveries queued again")


@admin.register(Purpose)
class PurposeAdmin(admin.ModelAdmin):
    """Editing the description bumps the version: new receipts name the new wording."""

    list_display = ("slug", "name", "legal_basis", "is_sale_or_sharing", "version", "position")
    readonly_fields = ("version",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(CaptureRule)
class CaptureRuleAdmin(admin.ModelAdmin):
    """What the capture path does with events, by environment, event type and subject."""

    list_display = ("name", "environment", "event_type", "subject", "purpose", "action")
    list_filter = ("action", "environment")
    raw_id_fields = ("subject",)


@admin.register(CaptureCount)
class CaptureCountAdmin(admin.ModelAdmin):
    """All that is kept about events not kept as sent."""

    list_display = ("purpose", "outcome", "reason", "count")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
