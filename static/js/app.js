/* ExecSupport front-end glue. No inline scripts anywhere (CSP): figures arrive as
   <script type="application/json"> blocks built on the server and are drawn here. */
(function () {
  "use strict";

  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
  // On a phone the toolbar would sit on the data (and zooming by toolbar is awkward by touch):
  // none there. Elsewhere the chart's top margin is widened so that it sits above the data.
  var PHONE = window.matchMedia("(max-width: 720px)");
  var TOOLBAR_ROOM = 34;

  function chartConfig() {
    var config = Object.assign({}, CONFIG);
    if (PHONE.matches) { config.displayModeBar = false; }
    return config;
  }

  function chartLayout(layout) {
    layout = Object.assign({}, layout || {});
    if (!PHONE.matches) {
      var margin = Object.assign({ t: 100 }, layout.margin || {});
      margin.t = Math.max(margin.t, TOOLBAR_ROOM);
      layout.margin = margin;
    }
    return layout;
  }

  // Tables collapse to one labelled block per row on narrow screens (static/css/app.css): each
  // cell gets its column's name (data-label, shown before it) and explicit table roles, which
  // assistive technology would otherwise drop with the table display.
  function labelTables(root) {
    (root || document).querySelectorAll("table:not([data-labelled])").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.replace(/\s+/g, " ").trim();
      });
      table.setAttribute("data-labelled", "1");
      table.setAttribute("role", "table");
      table.querySelectorAll("thead, tbody, tfoot").forEach(function (g) { g.setAttribute("role", "rowgroup"); });
      table.querySelectorAll("tr").forEach(function (row) {
        row.setAttribute("role", "row");
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (cell.tagName === "TH" && cell.closest("thead")) {
            cell.setAttribute("role", "columnheader");
            return;
          }
          // A row's header (<th scope="row">) is labelled like a cell: on a phone it is a line
          // of the row's block like the others.
          cell.setAttribute("role", cell.tagName === "TH" ? "rowheader" : "cell");
          if (heads[i] && cell.colSpan === 1) { cell.setAttribute("data-label", heads[i]); }
        });
      });
    });
  }

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
      window.Plotly.newPlot(el, figure.data, chartLayout(figure.layout), chartConfig());
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    labelTables(document);
    drawFigures(document);
    focusResult();  // a form sent without JavaScript came back with errors: start there
  });
  // Focus moves in the same task that inserted the new content (htmx:afterSwap), never later:
  // htmx settles 20 ms after the swap (a timer), and in between the answer was on screen while
  // the replaced form's focus had fallen back to <body>. The settle pass catches a data-focus
  // that htmx restores only then (an element keeping its id across the swap).
  document.addEventListener("htmx:afterSwap", function () {
    focusResult();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    labelTables(document);
    drawFigures(event.target);
    focusResult();
  });

  // After an HTMX swap the focused control is often gone (the form was replaced): focus moves
  // to the result the server marked with data-focus (a "saved" message, the form's errors), so
  // keyboard and screen-reader users land on what happened instead of the top of the page.
  function focusResult() {
    var target = document.querySelector("[data-focus]");
    if (!target) { return; }
    target.removeAttribute("data-focus");
    if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "nearest" });
  }

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
    box.setAttribute("tabindex", "-1");
    box.focus({ preventScroll: true });
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

  // Print media lays the page out at the paper's width (static/css/print.css): charts are
  // re-laid out to their boxes there, synchronously (Plots.resize would wait 100 ms, too late
  // for the print), and again back on screen. The toolbar-room margin is for screens only.
  function chartsRelayout() {
    if (!window.Plotly) { return; }
    var printing = window.matchMedia("print").matches;
    document.querySelectorAll("[data-drawn]").forEach(function (el) {
      var update = { autosize: true };
      var figure = JSON.parse(document.getElementById(el.getAttribute("data-figure")).textContent);
      var margin = printing ? (figure.layout || {}).margin : chartLayout(figure.layout).margin;
      if (margin) { update.margin = margin; }
      window.Plotly.relayout(el, update);
    });
  }
  window.matchMedia("print").addEventListener("change", chartsRelayout);
  window.addEventListener("beforeprint", chartsRelayout);
  window.addEventListener("afterprint", chartsRelayout);
})();
