"""Files of subscribers and suppression lists brought into Hush.

`reader` turns a CSV (with a header) or JSON-lines file into numbered rows, `presets`
names the columns the common email providers export, `rows` turns one row into what
Hush stores (or a problem: a line and a fixed reason), `bulk` writes a batch of them
set-based on PostgreSQL, and `services` runs an import batch by batch, each batch
committed with its checkpoint, so an interrupted import continues where it stopped.
"""
