// The live page: figures from /v1/ops/live/stream (Server-Sent Events, one a second).
(function () {
  "use strict";
  var history = [];
  function set(id, value) { document.getElementById(id).textContent = value; }
  function render(live) {
    set("rate-1s", live.clicks_per_second["1s"].toFixed(0));
    set("rate-10s", live.clicks_per_second["10s"].toFixed(1));
    set("rate-60s", live.clicks_per_second["60s"].toFixed(1));
    set("total-clicks", live.totals.clicks.toLocaleString("en-US"));
    set("total-billable", live.totals.billable.toLocaleString("en-US"));
    set("total-bot", live.totals.bot.toLocaleString("en-US"));
    set("total-dropped", live.totals.dropped.toLocaleString("en-US"));
    var body = document.querySelector("#workers tbody");
    body.innerHTML = "";
    live.workers.forEach(function (w) {
      var row = body.insertRow();
      [w.id, w.requests.toLocaleString("en-US"), (w.ring_fill * 100).toFixed(1) + " %", w.dropped, w.p50_us.toFixed(0),
       w.p99_us.toFixed(0), w.catalogue_version].forEach(function (v) { row.insertCell().textContent = v; });
    });
    history.push(live.clicks_per_second["1s"]);
    if (history.length > 120) { history.shift(); }
    var top = Math.max.apply(null, history.concat([1]));
    var points = history.map(function (v, i) { return (i * 600 / 119).toFixed(1) + "," + (115 - v / top * 110).toFixed(1); });
    document.querySelector("#spark polyline").setAttribute("points", points.join(" "));
    set("status", "live, " + new Date().toLocaleTimeString());
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  }
  var source = new EventSource("/v1/ops/live/stream");
  source.addEventListener("live", function (event) { render(JSON.parse(event.data)); });
  source.onerror = function () { set("status", "reconnecting…"); };
})();
