// Meeting pages without inline scripts (CSP).
// 1. Meeting mode: arrow keys (and Page Up/Down) move between agenda items, Escape leaves the mode.
// 2. Task form: the responsible-person list offers only members of the chosen organisation.
(function () {
  "use strict";

  function follow(id) {
    var link = document.getElementById(id);
    if (link && link.href) {
      window.location.assign(link.href);
      return true;
    }
    return false;
  }

  function isTyping(target) {
    if (!target) {
      return false;
    }
    var tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (!document.body.hasAttribute("data-meeting-mode")) {
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || isTyping(event.target)) {
      return;
    }
    var handled = false;
    if (event.key === "ArrowRight" || event.key === "PageDown") {
      handled = follow("next-item");
    } else if (event.key === "ArrowLeft" || event.key === "PageUp") {
      handled = follow("previous-item");
    } else if (event.key === "Escape") {
      handled = follow("leave-mode");
    }
    if (handled) {
      event.preventDefault();
    }
  });

  function limitResponsible(ownerSelect) {
    var form = ownerSelect.form;
    var responsible = form && form.elements[ownerSelect.getAttribute("data-owner-select")];
    if (!responsible || !responsible.getAttribute("data-organisations")) {
      return;
    }
    var allowed = {};
    responsible.getAttribute("data-organisations").split(",").forEach(function (pair) {
      var parts = pair.split(":");
      if (parts[1] === ownerSelect.value) {
        allowed[parts[0]] = true;
      }
    });
    Array.prototype.forEach.call(responsible.options, function (option) {
      option.disabled = Boolean(option.value) && Boolean(ownerSelect.value) && !allowed[option.value];
    });
    if (responsible.selectedOptions.length && responsible.selectedOptions[0].disabled) {
      responsible.value = "";
    }
  }

  document.addEventListener("change", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-owner-select")) {
      limitResponsible(event.target);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-owner-select]"), limitResponsible);
  });
})();
