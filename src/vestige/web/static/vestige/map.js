/* Vestige — the incident map. Leaflet is served by the app (static/leaflet/); the points come
   as JSON from the URL in data-points-url. Markers are vector circles, so they show on the
   plain background even when no tile loads. Text is set with textContent, never as HTML. */
(function () {
  "use strict";

  var element = document.getElementById("incident-map");
  if (!element || typeof L === "undefined") {
    return;
  }
  var status = document.getElementById("map-status");
  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  var map = L.map(element, { worldCopyJump: true, zoomControl: true, attributionControl: true });
  map.attributionControl.setPrefix("Leaflet");
  map.setView([20, 10], 2);
  L.control.scale({ imperial: false }).addTo(map);

  var tileUrl = element.getAttribute("data-tile-url");
  if (tileUrl) {
    var failures = 0;
    var loaded = 0;
    var tiles = L.tileLayer(tileUrl, {
      maxZoom: 18,
      attribution: element.getAttribute("data-attribution") || "",
      crossOrigin: false
    });
    tiles.on("tileload", function () {
      loaded += 1;
      element.classList.remove("tiles-failed");
    });
    tiles.on("tileerror", function () {
      failures += 1;
      if (!loaded) {
        element.classList.add("tiles-failed");
        say("Map tiles could not be loaded; the points are drawn on a plain background.");
      }
    });
    tiles.addTo(map);
  }

  function radius(count) {
    return Math.min(6 + Math.sqrt(count) * 3, 28);
  }

  function popup(point) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var title = document.createElement("a");
    title.href = point.url;
    title.className = "map-popup-title";
    title.textContent = point.name;
    box.appendChild(title);
    var meta = document.createElement("div");
    meta.className = "map-popup-meta";
    var text = point.count + (point.count === 1 ? " incident" : " incidents");
    if (point.kind) {
      text += " · " + point.kind;
    }
    if (point.precision_m) {
      text += " · ± " + point.precision_m.toLocaleString() + " m";
    }
    meta.textContent = text;
    box.appendChild(meta);
    return box;
  }

  fetch(element.getAttribute("data-points-url"), {
    credentials: "same-origin",
    headers: { Accept: "application/json" }
  })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (data) {
      var points = data.points || [];
      var layer = L.featureGroup();
      points.forEach(function (point) {
        if (typeof point.lat !== "number" || typeof point.lon !== "number") {
          return;
        }
        if (point.precision_m && point.precision_m >= 1000) {
          L.circle([point.lat, point.lon], {
            radius: point.precision_m,
            className: "map-precision",
            interactive: false
          }).addTo(layer);
        }
        L.circleMarker([point.lat, point.lon], {
          radius: radius(point.count),
          className: "map-point",
          weight: 2
        })
          .bindPopup(popup(point))
          .bindTooltip(point.name + " (" + point.count + ")")
          .addTo(layer);
      });
      layer.addTo(map);
      element.setAttribute("data-points", String(points.length));
      if (points.length) {
        map.fitBounds(layer.getBounds().pad(0.15), { maxZoom: 11 });
      } else {
        say("No incident here has a place with coordinates.");
      }
      element.classList.add("is-ready");
    })
    .catch(function (error) {
      say("The points could not be loaded (" + error.message + ").");
    });
})();
