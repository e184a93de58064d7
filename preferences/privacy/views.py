""""Download my data": the link from the email, which works once."""

from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render

from preferences.erased import SubjectErased
from preferences.privacy import exports


def export_download(request, token):
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    try:
        data = exports.export_download(token=token)
    except SubjectErased:
        return render(request, "preferences/erased.html", status=410)
    except exports.ExportUnavailable:
        return render(request, "preferences/export_gone.html", status=410)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="my-data.zip"'
    response["Cache-Control"] = "no-store"
    return response
