/* Vestige — live status of web captures. Without this file the pages offer a refresh link. */
(function () {
  "use strict";

  var INTERVAL = 2000;
  var LABELS = { queued: "Queued", running: "Running", done: "Done", failed: "Failed", refused: "Refused" };

  function poll(statusUrl, ids, onRows, onDone) {
    var pending = ids.slice();
    var failures = 0;

    function tick() {
      if (!pending.length) {
        onDone();
        return;
      }
      var url = statusUrl + "?ids=" + encodeURIComponent(pending.join(","));
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.status === 403 || response.status === 404 || response.status === 400) {
            throw new Error("stop");
          }
          if (!response.ok) {
            throw new Error("retry");
          }
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          var rows = data.captures || [];
          onRows(rows);
          var finished = {};
          rows.forEach(function (row) {
            if (row.finished) {
              finished[row.id] = true;
            }
          });
          pending = pending.filter(function (id) { return !finished[id]; });
          window.setTimeout(tick, INTERVAL);
        })
        .catch(function (error) {
          failures += 1;
          if (error && error.message === "stop") {
            return; // the refresh link stays for the user
          }
          window.setTimeout(tick, Math.min(INTERVAL * (failures + 1), 15000));
        });
    }

    window.setTimeout(tick, INTERVAL);
  }

  function setText(element, text) {
    if (element && element.textContent !== text) {
      element.textContent = text;
    }
  }

  function updateRow(row, data) {
    var badge = row.querySelector("[data-field=status]");
    if (badge) {
      setText(badge, LABELS[data.status] || data.status);
      if (badge.classList.contains("badge")) {
        badge.className = "badge badge-capture badge-capture-" + data.status;
      }
    }
    var progress = row.querySelector("[data-field=progress]");
    if (progress) {
      var text = data.error ? data.error : (data.finished ? "" : (data.progress || ""));
      setText(progress, text);
      progress.classList.toggle("is-error", Boolean(data.error));
    }
    var link = row.querySelector("[data-field=title]");
    if (link && data.title && data.title !== data.url && link.textContent !== data.title) {
      link.textContent = data.title;
      var under = document.createElement("div");
      under.className = "sub break small muted";
      under.textContent = data.url;
      link.insertAdjacentElement("afterend", under);
    }
    var version = row.querySelector("[data-field=version]");
    if (version && data.item_id) {
      setText(version, String(data.version));
    }
    if (data.unavailable && !row.querySelector("[data-field=unavailable]") && badge) {
      var flag = document.createElement("span");
      flag.className = "badge badge-warning";
      flag.setAttribute("data-field", "unavailable");
      flag.textContent = "unavailable at source";
      badge.insertAdjacentElement("afterend", flag);
      badge.insertAdjacentText("afterend", " ");
    }
    row.setAttribute("data-status", data.status);
  }

  // The capture list: every unfinished row follows its capture.
  document.querySelectorAll("table[data-capture-table]").forEach(function (table) {
    var ids = (table.getAttribute("data-pending") || "").split(",").filter(Boolean);
    var live = document.querySelector("[data-capture-live]");
    if (!ids.length) {
      return;
    }
    if (live) {
      live.textContent = "Updating live…";
      live.hidden = false;
    }
    poll(table.getAttribute("data-status-url"), ids, function (rows) {
      rows.forEach(function (data) {
        var row = table.querySelector("tr[data-capture-id='" + data.id + "']");
        if (row) {
          updateRow(row, data);
        }
      });
    }, function () {
      if (live) {
        live.textContent = "All captures finished.";
      }
    });
  });

  // A capture's own page while it runs: follow it, then load the finished page.
  document.querySelectorAll("[data-capture-watch]").forEach(function (box) {
    var id = box.getAttribute("data-pending");
    var refresh = box.querySelector("[data-capture-refresh]");
    if (refresh) {
      refresh.hidden = true;
    }
    poll(box.getAttribute("data-status-url"), [id], function (rows) {
      rows.forEach(function (data) {
        setText(box.querySelector("[data-field=status]"), LABELS[data.status] || data.status);
        setText(box.querySelector("[data-field=progress]"), data.error || data.progress || "");
      });
    }, function () {
      window.location.reload();
    });
  });
})();
