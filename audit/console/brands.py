"""Brands, set by a privacy officer: name, logo, colours, font, footer links, sender,
texts per language, and which topics wear each. Saved through the brand service
(audited); the form refuses colours that would make the pages hard to read."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render

from audit.console.access import role_required
from preferences.branding.forms import BrandForm
from preferences.branding.selectors import brand_cache_clear, settings_brand
from preferences.branding.services import brand_save
from preferences.models import Brand, Topic


class ConsoleBrandForm(BrandForm):
    topics = forms.ModelMultipleChoiceField(
        label="Topics under this brand", queryset=Topic.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["topics"].initial = list(self.instance.topics.all())


@role_required("manage_brands")
def brand_list(request):
    brands = list(Brand.objects.prefetch_related("topics"))
    return render(request, "console/brands.html", {
        "brands": brands, "settings_brand": settings_brand(),
        "has_default": any(b.is_default for b in brands)})


@role_required("manage_brands")
def brand_edit(request, pk=None):
    brand = get_object_or_404(Brand, pk=pk) if pk else Brand()
    form = ConsoleBrandForm(request.POST or None, request.FILES or None, instance=brand)
    if request.method == "POST":
        if form.is_valid():
            brand = form.save(commit=False)
            brand_save(brand=brand, logo=form.cleaned_data.get("logo_file"),
                       remove_logo=form.cleaned_data.get("remove_logo", False),
                       actor=request.user)
            chosen = list(form.cleaned_data["topics"])
            Topic.objects.filter(brand=brand).exclude(pk__in=[t.pk for t in chosen]).update(
                brand=None)
            Topic.objects.filter(pk__in=[t.pk for t in chosen]).update(brand=brand)
            transaction.on_commit(brand_cache_clear)  # the pages' copies of topics too
            messages.success(request, f"Brand “{brand.name}” saved.")
            return redirect("console:brands")
        return render(request, "console/brand_form.html", {"form": form, "brand": brand},
                      status=400)
    return render(request, "console/brand_form.html", {"form": form, "brand": brand})
