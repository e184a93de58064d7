"""Brands: whose name, logo, colours, fonts and footer the subscriber pages and emails
wear, and who mail comes from. A topic belongs to a brand; pages that belong to no
topic wear the default one (a Brand row marked default, else the `HUSH_BRAND_*`
settings). Part of the preferences app (the model is `preferences.models.Brand`)."""
