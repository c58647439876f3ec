/* ExecSupport front-end glue. No inline scripts anywhere (CSP): figures arrive as
   <script type="application/json"> blocks built on the server and are drawn here. */
(function () {
  "use strict";

  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

  // plotly.js (1.1 MB) is fetched only when a page (or an HTMX swap) holds a chart; its URL
  // comes from the server ({% static %}: hashed name, long cache).
  var plotlyLoading = null;
  function plotlyLoad(callback) {
    if (window.Plotly) { callback(); return; }
    if (!plotlyLoading) {
      plotlyLoading = [];
      var script = document.createElement("script");
      script.src = document.body.getAttribute("data-plotly-src");
      script.onload = function () { plotlyLoading.forEach(function (fn) { fn(); }); };
      document.head.appendChild(script);
    }
    plotlyLoading.push(callback);
  }

  function drawFigures(root) {
    root = root || document;
    if (!root.querySelector("[data-figure]:not([data-drawn])")) { return; }
    if (!window.Plotly) { plotlyLoad(function () { drawFigures(root); }); return; }
    root.querySelectorAll("[data-figure]:not([data-drawn])").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      el.setAttribute("data-drawn", "1");
      window.Plotly.newPlot(el, figure.data, figure.layout || {}, CONFIG);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawFigures(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawFigures(event.target); });

  // A refused or failed HTMX request must never fail silently.
  function flash(text) {
    var main = document.getElementById("main");
    var box = document.getElementById("flash");
    if (!box) {
      box = document.createElement("p");
      box.id = "flash";
      box.className = "message message--error";
      box.setAttribute("role", "alert");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
    box.scrollIntoView({ block: "center" });
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403) {
      flash("You are not allowed to do this (any more). Nothing was saved; reload the page to see what you can do.");
    } else if (status === 404) {
      flash("This no longer exists, or you can no longer see it. Nothing was saved.");
    } else {
      flash("Something went wrong (HTTP " + status + "). Nothing was saved; please try again.");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    flash("The server could not be reached. Nothing was saved; check your connection and try again.");
  });

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
