/* Form helpers, progressive: every form works without them (CSP: no inline scripts).

   - Person pickers (select[data-people-search]): a search box above the list; typing asks the
     server for the people the reader may choose (strategy:people-choose, names only) and puts
     them in the list, keeping the people already chosen.
   - KPI key (input[data-key-proposal]): proposed from the name as it is typed
     (metrics:kpi-key-proposal) until the person edits the key.
   - Fields shown only for one value of another field (input[data-show-when="<id>=<value>"]):
     the KPI's range bounds, for keep-within-range KPIs. The server ignores them otherwise. */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function getJSON(url, done) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { done(data); } })
      .catch(function () { /* the list stays as it was */ });
  }

  function peoplePicker(select) {
    if (select.getAttribute("data-picker-ready")) { return; }
    select.setAttribute("data-picker-ready", "1");
    var label = document.querySelector("label[for='" + select.id + "']");
    var wrap = document.createElement("div");
    wrap.className = "picker";
    var search = document.createElement("input");
    search.type = "search";
    search.id = select.id + "_search";
    search.className = "picker__search";
    search.setAttribute("autocomplete", "off");
    search.setAttribute("aria-controls", select.id);
    search.setAttribute("aria-label", "Search people by name" + (label ? " for " + label.textContent.replace("*", "").trim() : ""));
    search.placeholder = "Type a name to search";
    var status = document.createElement("span");
    status.className = "help picker__status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    wrap.appendChild(search);
    wrap.appendChild(status);
    select.parentNode.insertBefore(wrap, select);

    var find = debounce(function () {
      var q = search.value.trim();
      getJSON(select.getAttribute("data-people-search") + "?q=" + encodeURIComponent(q), function (data) {
        var keep = {};
        Array.prototype.forEach.call(select.options, function (option) {
          if (option.selected || option.value === "") { keep[option.value] = true; }
          else { option.remove(); }
        });
        data.people.forEach(function (person) {
          if (keep[String(person.id)]) { return; }
          var option = document.createElement("option");
          option.value = String(person.id);
          option.textContent = person.name;
          select.appendChild(option);
        });
        var n = data.people.length;
        status.textContent = n === 0 ? "No one matches." :
          n + (data.more ? "+ people match; type more to narrow." : (n === 1 ? " person matches." : " people match."));
      });
    }, 250);
    search.addEventListener("input", find);
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); find(); }  // never submit the form
    });
  }

  function keyProposal(key) {
    var name = document.getElementById(key.getAttribute("data-key-from"));
    if (!name) { return; }
    var proposed = key.value;
    var edited = key.value !== "";  // a saved key is stable: only a new one follows the name
    key.addEventListener("input", function () { edited = key.value !== "" && key.value !== proposed; });
    name.addEventListener("input", debounce(function () {
      if (edited || !name.value.trim()) { return; }
      getJSON(key.getAttribute("data-key-proposal") + "?name=" + encodeURIComponent(name.value), function (data) {
        if (edited) { return; }
        key.value = proposed = data.key;
      });
    }, 300));
  }

  function showWhen(input) {
    var rule = input.getAttribute("data-show-when").split("=");
    var control = document.getElementById(rule[0]);
    var field = input.closest(".field") || input;
    if (!control) { return; }
    function apply() { field.hidden = control.value !== rule[1]; }
    control.addEventListener("change", apply);
    apply();
  }

  function init(root) {
    root.querySelectorAll("select[data-people-search]").forEach(peoplePicker);
    root.querySelectorAll("input[data-key-proposal]").forEach(keyProposal);
    root.querySelectorAll("[data-show-when]").forEach(showWhen);
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });
})();
