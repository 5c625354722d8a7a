// Behaviour without inline scripts (CSP). Every page works without this file; it adds:
// - confirmation before destructive acts (forms with data-confirm);
// - a collapsed main menu on narrow screens, opened by a disclosure button (aria-expanded);
// - wide tables that scroll inside their own labelled, focusable region instead of the page;
// - search pickers whose combobox says (aria-expanded) whether its matches are showing.
document.documentElement.classList.add("js");

document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

var NARROW = "(max-width: 48rem)";

function setUpMenu() {
  var button = document.querySelector(".menu-toggle");
  var menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) return;
  var narrow = window.matchMedia(NARROW);
  function show(expanded) {
    button.setAttribute("aria-expanded", expanded ? "true" : "false");
    menu.hidden = !expanded;
  }
  button.hidden = false;
  show(!narrow.matches);
  button.addEventListener("click", function () {
    show(button.getAttribute("aria-expanded") !== "true");
  });
  var onChange = function () { show(!narrow.matches); };
  if (narrow.addEventListener) narrow.addEventListener("change", onChange);
  else if (narrow.addListener) narrow.addListener(onChange);
}

var tableCount = 0;

function tableLabel(table) {
  var caption = table.querySelector("caption");
  if (caption && caption.textContent.trim()) {
    if (!caption.id) caption.id = "table-caption-" + tableCount;
    return { labelledby: caption.id };
  }
  // The nearest heading before the table names it; else a word in the page's language.
  var node = table;
  while (node && node !== document.body) {
    var sibling = node.previousElementSibling;
    while (sibling) {
      if (/^H[1-6]$/.test(sibling.tagName) && sibling.textContent.trim()) {
        return { label: sibling.textContent.trim() };
      }
      sibling = sibling.previousElementSibling;
    }
    node = node.parentElement;
  }
  return { label: document.documentElement.lang === "en" ? "Table" : "Tabell" };
}

var regions = [];

function focusable() {
  // A region that scrolls can be reached (and scrolled) with the keyboard; one that fits is no tab stop.
  regions.forEach(function (region) {
    if (region.dataset.gviWrapped !== "1") return;  // the template's own regions stay as written
    if (region.scrollWidth > region.clientWidth + 1) region.setAttribute("tabindex", "0");
    else region.removeAttribute("tabindex");
  });
}

function wrapTables(root) {
  var main = document.querySelector("main");
  if (!main) return;
  var scope = root && root.querySelectorAll && main.contains(root) ? root : main;
  var tables = Array.prototype.slice.call(scope.querySelectorAll("table"));
  if (scope.tagName === "TABLE") tables.push(scope);
  tables.forEach(function (table) {
    tableCount += 1;
    var region = table.parentElement;
    if (!region.classList.contains("table-scroll")) {
      region = document.createElement("div");
      region.className = "table-scroll";
      region.setAttribute("role", "region");
      var name = tableLabel(table);
      if (name.labelledby) region.setAttribute("aria-labelledby", name.labelledby);
      else region.setAttribute("aria-label", name.label);
      table.parentNode.insertBefore(region, table);
      region.appendChild(table);
      region.dataset.gviWrapped = "1";
    }
    if (regions.indexOf(region) < 0) regions.push(region);
  });
  focusable();
}

function ready(fn) {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
  else fn();
}

ready(setUpMenu);
ready(function () { wrapTables(null); });
window.addEventListener("resize", focusable);
// Content htmx swaps in (live lists, meeting mode) gets the same treatment.
document.addEventListener("htmx:load", function (event) { wrapTables(event.target); });

// Search pickers (gvi.pickers): the combobox says whether its list of matches is showing.
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail && event.detail.target;
  if (!target || !target.classList || !target.classList.contains("picker-results")) return;
  var field = document.querySelector('[aria-controls="' + target.id + '"]');
  if (field) field.setAttribute("aria-expanded", target.querySelector("li") ? "true" : "false");
});
