from django.contrib import admin

from audit.models import AuditEvent
from common.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "occurred_at", "actor_type", "actor_id", "action", "target_type",
                    "target_id")
    list_filter = ("actor_type", "action")
    search_fields = ("target_id", "actor_id", "action")
    ordering = ("-id",)
