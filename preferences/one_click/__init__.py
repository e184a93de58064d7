"""One-click opt-outs that must not wait for the database: the journal on the web
host's disk (`journal`), and what applies its entries once the database is back
(`services`, from the web process itself, `manage.py one_click_replay` and beat)."""
