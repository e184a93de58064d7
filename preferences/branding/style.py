"""A brand's colours and fonts as a stylesheet (no inline style: CSP allows none), and
the WCAG contrast rules a brand's colours must pass so its pages stay readable."""

FONT_STACKS = {
    "system": 'system-ui, -apple-system, "Segoe UI", sans-serif',
    "humanist": 'Seravek, "Gill Sans Nova", Ubuntu, Calibri, "DejaVu Sans", sans-serif',
    "serif": 'Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif',
    "rounded": 'ui-rounded, "Hiragino Maru Gothic ProN", Quicksand, Comfortaa, Manjari, '
               '"Arial Rounded MT", Calibri, sans-serif',
    "mono": 'ui-monospace, "Cascadia Code", Menlo, Consolas, "DejaVu Sans Mono", monospace',
}
READABLE = 4.5  # WCAG 2 AA for body text
# Hush's own status colours (green, amber, red) are drawn for a light page.
LIGHTEST_BACKGROUND_NEEDED = 0.8


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of #rrggbb."""
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def on_colour(background: str) -> str:
    """White or near-black, whichever reads better on `background` (button labels)."""
    return "#ffffff" if contrast("#ffffff", background) >= contrast("#111111", background) \
        else "#111111"


def _mix(a: str, b: str, share_of_b: float) -> str:
    mixed = (round(x + (y - x) * share_of_b) for x, y in zip(_rgb(a), _rgb(b), strict=True))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def muted(text: str, background: str) -> str:
    """Help text: the text colour a little toward the background, if it stays readable."""
    for share in (0.35, 0.25, 0.15):
        candidate = _mix(text, background, share)
        if contrast(candidate, background) >= READABLE:
            return candidate
    return text


def problems(*, accent: str, text: str, background: str) -> dict[str, str]:
    """What would make the pages hard to read, by field; empty when the colours are fine."""
    found = {}
    if luminance(background) < LIGHTEST_BACKGROUND_NEEDED:
        found["background_colour"] = "Choose a light background: the pages' status colours " \
                                     "need one."
    if contrast(text, background) < READABLE:
        found["text_colour"] = (f"The text colour is too faint on this background "
                                f"(contrast {contrast(text, background):.1f}:1, needs 4.5:1).")
    if contrast(accent, background) < READABLE:
        found["accent_colour"] = (f"Links in this colour would be too faint on the background "
                                  f"(contrast {contrast(accent, background):.1f}:1, needs 4.5:1).")
    elif contrast(on_colour(accent), accent) < READABLE:
        found["accent_colour"] = "Button labels would be hard to read on this colour."
    return found


def stylesheet(brand) -> str:
    accent, text, background = brand.accent_colour, brand.text_colour, brand.background_colour
    return (
        ":root {\n"
        f"  --accent: {accent};\n  --on-accent: {on_colour(accent)};\n"
        f"  --fg: {text};\n  --bg: {background};\n  --muted: {muted(text, background)};\n"
        f"  --font: {FONT_STACKS.get(brand.font, FONT_STACKS['system'])};\n"
        "}\n"
    )
