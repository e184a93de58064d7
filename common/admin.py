"""The read-only admin, for rows only the code that records them may write."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows only the code that records them may write (audit and consent events,
    erasures): the admin shows them and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
