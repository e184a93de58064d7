"""PII detection and transforms: pure Python, no Django import, so the CLI and
other programs can use them without a project."""
