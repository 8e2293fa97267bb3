/* Vestige — heritage pages: the map of sites coloured by condition and the swipe view of the
   before/after comparison. Served by the app (CSP script-src 'self'); text is set with
   textContent, never as HTML. */
(function () {
  "use strict";

  function siteMap(element) {
    if (typeof L === "undefined") {
      return;
    }
    var status = document.getElementById("map-status");
    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }
    var map = L.map(element, { worldCopyJump: true });
    map.attributionControl.setPrefix("Leaflet");
    map.setView([40, 46], 6);
    L.control.scale({ imperial: false }).addTo(map);
    var tileUrl = element.getAttribute("data-tile-url");
    if (tileUrl) {
      var loaded = 0;
      var tiles = L.tileLayer(tileUrl, {
        maxZoom: 18,
        attribution: element.getAttribute("data-attribution") || ""
      });
      tiles.on("tileload", function () {
        loaded += 1;
        element.classList.remove("tiles-failed");
      });
      tiles.on("tileerror", function () {
        if (!loaded) {
          element.classList.add("tiles-failed");
          say("Map tiles could not be loaded; the sites are drawn on a plain background.");
        }
      });
      tiles.addTo(map);
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
      meta.textContent = point.type + " · " + point.condition_label;
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
          L.circleMarker([point.lat, point.lon], {
            radius: 9,
            weight: 2,
            className: "map-point site-point condition-" + point.condition
          })
            .bindPopup(popup(point))
            .bindTooltip(point.name + " (" + point.condition_label + ")")
            .addTo(layer);
        });
        layer.addTo(map);
        element.setAttribute("data-points", String(points.length));
        if (points.length) {
          map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 12 });
        } else {
          say("No heritage site here has coordinates.");
        }
        element.classList.add("is-ready");
      })
      .catch(function (error) {
        say("The sites could not be loaded (" + error.message + ").");
      });
  }

  function swipe(range, before) {
    function update() {
      var value = Number(range.value);
      before.style.clipPath = "inset(0 " + (100 - value) + "% 0 0)";
    }
    range.addEventListener("input", update);
    update();
  }

  var mapElement = document.getElementById("heritage-map");
  if (mapElement) {
    siteMap(mapElement);
  }
  var range = document.getElementById("swipe-range");
  var before = document.getElementById("swipe-before");
  if (range && before) {
    swipe(range, before);
  }
})();
