// Network graphs: pointing at or tabbing to a node highlights it, its neighbours and its relations.
// No inline script (CSP); the graph is fully readable without this file.
(function () {
  "use strict";

  function setup(svg) {
    var nodes = Array.prototype.slice.call(svg.querySelectorAll("[data-node]"));
    var edges = Array.prototype.slice.call(svg.querySelectorAll("[data-a]"));

    function clear() {
      svg.classList.remove("is-highlighting");
      nodes.forEach(function (node) { node.classList.remove("is-current", "is-neighbour"); });
      edges.forEach(function (edge) { edge.classList.remove("is-linked"); });
    }

    function highlight(key) {
      clear();
      var near = {};
      edges.forEach(function (edge) {
        var a = edge.getAttribute("data-a");
        var b = edge.getAttribute("data-b");
        if (a === key || b === key) {
          edge.classList.add("is-linked");
          near[a === key ? b : a] = true;
        }
      });
      nodes.forEach(function (node) {
        var own = node.getAttribute("data-node");
        if (own === key) { node.classList.add("is-current"); }
        else if (near[own]) { node.classList.add("is-neighbour"); }
      });
      svg.classList.add("is-highlighting");
    }

    function nodeOf(target) {
      return target && target.closest ? target.closest("[data-node]") : null;
    }

    svg.addEventListener("pointerover", function (event) {
      var node = nodeOf(event.target);
      if (node) { highlight(node.getAttribute("data-node")); }
    });
    svg.addEventListener("pointerout", function (event) {
      if (nodeOf(event.target) && !nodeOf(event.relatedTarget) && !svg.contains(document.activeElement)) {
        clear();
      }
    });
    svg.addEventListener("focusin", function (event) {
      var node = nodeOf(event.target);
      if (node) { highlight(node.getAttribute("data-node")); }
    });
    svg.addEventListener("focusout", function (event) {
      if (!svg.contains(event.relatedTarget)) { clear(); }
    });
    svg.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { clear(); }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("svg.network-graph"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
