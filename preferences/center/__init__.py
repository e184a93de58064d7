"""The preference center (`/p/<token>/`): topics as toggles grouped by channel with one
Save, frequencies, pause everything, privacy choices, undo for the last change and one
history in plain words. Works without JavaScript; `static/center.js` saves in place."""
