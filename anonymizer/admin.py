from django.contrib import admin

from anonymizer.erasure import erasure_retry
from anonymizer.models import ErasureRequest, ErasureStep
from common.admin import ReadOnlyAdmin


class ErasureStepInline(admin.TabularInline):
    model = ErasureStep
    fields = ("target", "phase", "status", "attempts", "rows_affected", "fields_changed",
              "last_error", "next_attempt_at", "finished_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("phase", "pk")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    """Read-only: requests are carried out by the erasure job; staff can only retry
    failed steps (recorded in the audit trail). The kept identifiers never show."""

    list_display = ("pk", "key", "subject_public_id", "status", "source", "requested_at",
                    "finished_at")
    list_filter = ("status", "source")
    search_fields = ("=key", "=subject_public_id")
    fields = ("key", "subject_public_id", "status", "source", "requested_by_type",
              "requested_by_id", "requested_at", "started_at", "finished_at", "verified_at",
              "verification")
    readonly_fields = fields
    inlines = [ErasureStepInline]
    actions = ["retry_failed_steps"]

    @admin.action(description="Retry the failed steps of the selected requests")
    def retry_failed_steps(self, request, queryset):
        steps = sum(erasure_retry(request_id=pk, actor=request.user)
                    for pk in queryset.filter(status=ErasureRequest.Status.FAILED)
                    .values_list("pk", flat=True))
        self.message_user(request, f"{steps} steps put back to run again")


@admin.register(ErasureStep)
class ErasureStepAdmin(ReadOnlyAdmin):
    list_display = ("request", "target", "status", "attempts", "rows_affected", "last_error",
                    "finished_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in ErasureStep._meta.fields]
