/* Vestige — small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Graphic previews: reveal and blur again in place, without reloading the page
  // (without JavaScript the same links load the page with or without ?reveal=1).
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    var reveal = target.closest("[data-reveal]");
    var conceal = target.closest("[data-conceal]");
    var control = reveal || conceal;
    if (!control) {
      return;
    }
    var preview = control.closest("[data-preview]");
    if (!preview) {
      return;
    }
    event.preventDefault();
    preview.classList.toggle("is-graphic", Boolean(conceal));
    preview.classList.toggle("is-revealed", Boolean(reveal));
  });

  // The account menu closes when one clicks elsewhere or presses Escape.
  function closeMenus(except) {
    document.querySelectorAll("details.usermenu[open]").forEach(function (menu) {
      if (menu !== except) {
        menu.removeAttribute("open");
      }
    });
  }
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    closeMenus(target ? target.closest("details.usermenu") : null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeMenus(null);
    }
  });

  // The upload form names the files chosen.
  document.querySelectorAll("input[type=file][data-file-list]").forEach(function (input) {
    var hint = document.getElementById(input.getAttribute("data-file-list"));
    if (!hint) {
      return;
    }
    var original = hint.textContent;
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) {
        hint.textContent = original;
        return;
      }
      var total = files.reduce(function (sum, file) { return sum + file.size; }, 0);
      var megabytes = (total / (1024 * 1024)).toFixed(total < 1024 * 1024 ? 2 : 1);
      hint.textContent = files.length + (files.length === 1 ? " file, " : " files, ") +
        megabytes + " MB: " + files.map(function (file) { return file.name; }).join(", ");
    });
  });

  // The case page's filters apply as soon as a select changes.
  document.querySelectorAll("form.filters select").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) {
        select.form.requestSubmit();
      }
    });
  });
})();
