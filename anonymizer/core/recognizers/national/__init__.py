"""National identifiers, one module per country, each with its published check rule."""
