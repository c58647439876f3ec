"""Layout checks run in the page walks of the browser tests (``tests/browser/
test_accessibility.py`` walks every page for every persona at both widths): a phone page that
scrolls sideways or a table that does not collapse to labelled rows, and a chart toolbar over
the chart's data."""

PHONE = {"width": 390, "height": 844}

# A chart's toolbar (plotly's modebar) over the chart's data area.
TOOLBAR_PROBLEMS = """() => {
  const problems = [];
  for (const chart of document.querySelectorAll("[data-drawn]")) {
    const bar = chart.querySelector(".modebar");
    const data = chart.querySelector(".draglayer .nsewdrag, .pielayer");
    if (!bar || !data || getComputedStyle(bar).display === "none") { continue; }
    const a = bar.getBoundingClientRect(), b = data.getBoundingClientRect();
    if (a.width && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
      problems.push(`the toolbar of chart ${chart.dataset.figure} covers its data`);
    }
  }
  return problems;
}"""

# What a phone user would have to scroll sideways for, or could not read: the page wider than
# the screen, a table (or its wrapper) scrolling sideways or a data cell without its column's
# name, a chart's toolbar overlapping the chart's data area.
LAYOUT_PROBLEMS = (
    """() => {
  const problems = [];
  const width = window.innerWidth;
  const page = document.documentElement.scrollWidth;
  if (page > width) {
    // Name the culprit: the innermost element passing the right edge.
    const wide = [...document.querySelectorAll("body *")].filter(
      (e) => e.getBoundingClientRect().right > width + 1);
    const e = wide[wide.length - 1];
    problems.push(`page is ${page} px wide` + (e ? `, e.g. <${e.tagName.toLowerCase()}`
      + ` class="${e.className.baseVal ?? e.className}">` : ""));
  }
  for (const el of document.querySelectorAll("main table, main .table-wrap")) {
    if (el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${el.tagName.toLowerCase()} scrolls sideways (${el.scrollWidth} px)`);
    }
  }
  for (const table of document.querySelectorAll("main table")) {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.replace(/\\s+/g, " ").trim());
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.children].forEach((cell, i) => {
        if (cell.colSpan > 1 || !heads[i] || !cell.innerText.trim()) { return; }
        const label = getComputedStyle(cell, "::before").content;
        if (!label.includes(heads[i])) {
          problems.push(`cell "${cell.innerText.trim().slice(0, 30)}" shows no "${heads[i]}"`);
        }
      });
    }
  }
  return [...new Set(problems.concat(("""
    + TOOLBAR_PROBLEMS
    + """)()))];
}"""
)
