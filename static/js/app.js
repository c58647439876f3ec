/* ExecSupport front-end glue. No inline scripts anywhere (CSP): figures arrive as
   <script type="application/json"> blocks built on the server and are drawn here. */
(function () {
  "use strict";

  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

  function drawFigures(root) {
    if (!window.Plotly) { return; }
    (root || document).querySelectorAll("[data-figure]:not([data-drawn])").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      el.setAttribute("data-drawn", "1");
      window.Plotly.newPlot(el, figure.data, figure.layout || {}, CONFIG);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawFigures(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawFigures(event.target); });

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-action]");
    if (!target) { return; }
    if (target.getAttribute("data-action") === "print") { window.print(); }
  });

  // Before printing, charts take the page width.
  window.addEventListener("beforeprint", function () {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-drawn]").forEach(function (el) { window.Plotly.Plots.resize(el); });
  });
})();
