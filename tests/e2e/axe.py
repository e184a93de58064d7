"""axe-core in the page: the accessibility engine from the npm package (package.json,
`npm ci`), read from node_modules and evaluated through the DevTools protocol, which the
pages' Content-Security-Policy does not apply to (no CDN, no inline script tag)."""

from pathlib import Path

from tests.conftest import require_service

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary)}));
}"""


def axe_violations(page) -> list[dict]:
    require_service(AXE.is_file(), f"needs axe-core at {AXE}: npm ci (package.json)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(_RUN)


def expect_accessible(page) -> None:
    """No axe-core violation on the page as it is now."""
    violations = axe_violations(page)
    assert not violations, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in violations)
