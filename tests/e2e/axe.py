"""axe-core (the npm package, from node_modules: no CDN) run in the page under test.

The script is evaluated through the browser's DevTools protocol, not added as a
<script> tag, so a page's Content-Security-Policy (no inline script) neither blocks
it nor needs loosening for the test."""

from pathlib import Path

from tests.conftest import require_service

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA, and axe's best practices (landmarks, headings, ...).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_violations(page) -> list[str]:
    """Every violation on the page as "rule: help (targets)"; [] when it passes."""
    require_service(AXE.exists(), f"needs axe-core at {AXE}: npm ci (package.json)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})", TAGS)
    return [f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:5])})"
            for v in result["violations"]]
