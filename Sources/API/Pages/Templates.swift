/// The pages' Mustache templates. `{{x}}` is HTML-escaped; `{{{x}}}` is used
/// only for SVG the server drew from numbers.
enum Templates {
    static let all: [String: String] = [
        "head": head, "login": login, "dashboard": dashboard, "ops": ops, "partner": partner,
    ]

    static let head = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Clickline</title>
        <style>
        :root { --ink: #1d2430; --muted: #667085; --line: #e4e7ec; --accent: #3056d3; --sales: #9ec5a8; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f8f9fb; }
        header { display: flex; align-items: baseline; gap: 1.5rem; padding: 1rem 2rem; background: #fff; border-bottom: 1px solid var(--line); }
        header h1 { font-size: 1.15rem; margin: 0; }
        header nav a { color: var(--muted); margin-right: 1rem; text-decoration: none; }
        header nav a.here { color: var(--ink); font-weight: 600; }
        main { padding: 1.5rem 2rem; max-width: 1200px; }
        .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: .75rem; margin-bottom: 1.5rem; }
        .tile { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; }
        .tile .value { font-size: 1.45rem; font-weight: 600; font-variant-numeric: tabular-nums; }
        .tile .name { color: var(--muted); font-size: .85rem; }
        table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
        th, td { padding: .45rem .7rem; border-bottom: 1px solid var(--line); text-align: right; font-variant-numeric: tabular-nums; }
        th:first-child, td:first-child, th.text, td.text { text-align: left; }
        th { color: var(--muted); font-weight: 500; font-size: .85rem; }
        section { margin-bottom: 1.75rem; }
        h2 { font-size: 1rem; margin: 0 0 .6rem; }
        .chart { width: 100%; height: auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
        .chart .axis { stroke: var(--line); }
        .chart .clicks { stroke: var(--accent); stroke-width: 2; fill: var(--accent); }
        .chart polyline.clicks { fill: none; }
        .chart .sales { fill: var(--sales); }
        .chart .label { fill: var(--muted); font-size: 11px; }
        .legend span { margin-right: 1rem; color: var(--muted); font-size: .85rem; }
        .legend .clicks::before { content: ""; display: inline-block; width: 12px; height: 3px; background: var(--accent); margin-right: .35rem; vertical-align: middle; }
        .legend .sales::before { content: ""; display: inline-block; width: 10px; height: 10px; background: var(--sales); margin-right: .35rem; }
        .ranges a { margin-right: .8rem; }
        .muted { color: var(--muted); }
        form.login { max-width: 420px; margin: 4rem auto; background: #fff; padding: 1.5rem; border: 1px solid var(--line); border-radius: 8px; }
        form.login input { width: 100%; padding: .55rem; margin: .4rem 0 1rem; font: inherit; }
        button { font: inherit; padding: .5rem 1rem; background: var(--accent); color: #fff; border: 0; border-radius: 6px; cursor: pointer; }
        .error { color: #b42318; }
        code.copy { font-size: 1.2rem; padding: .3rem .6rem; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
        </style>
        </head>
        <body>
        """

    static let login = """
        {{> head}}
        <form class="login" method="post" action="/login">
        <h1>Clickline</h1>
        <p class="muted">Sign in with an admin or ops key (<code>clickline keys create --role admin</code>).</p>
        {{#error}}<p class="error" id="error">{{error}}</p>{{/error}}
        <label for="key">Key</label>
        <input id="key" name="key" type="password" autocomplete="off" required autofocus>
        <input type="hidden" name="next" value="{{next}}">
        <button type="submit">Sign in</button>
        </form>
        </body>
        </html>
        """

    static let dashboard = """
        {{> head}}
        <header><h1>Clickline</h1><nav><a class="here" href="/dashboard">Dashboard</a><a href="/ops">Live</a></nav>
        <span class="muted">{{from}} to {{to}}</span></header>
        <main>
        <p class="ranges">{{#ranges}}<a href="/dashboard?range={{name}}"{{#current}} class="here"{{/current}}>{{label}}</a>{{/ranges}}</p>
        <section class="tiles" id="kpis">
        {{#tiles}}<div class="tile" data-kpi="{{key}}"><div class="value">{{value}}</div><div class="name">{{name}}</div></div>{{/tiles}}
        </section>
        <section>
        <h2>Clicks and sales per day</h2>
        <p class="legend"><span class="clicks">billable clicks</span><span class="sales">sales ({{currency}})</span></p>
        {{{chart}}}
        </section>
        <section>
        <h2>Offers</h2>
        <table id="offers">
        <thead><tr><th class="text">Offer</th><th class="text">Status</th><th>Members</th><th>Clicks</th><th>Conversions</th><th>Sales</th><th>Commissions</th><th>Due</th></tr></thead>
        <tbody>
        {{#offers}}<tr data-offer="{{id}}"><td>{{name}}</td><td class="text">{{status}}</td><td>{{members}}</td><td>{{clicks}}</td><td>{{conversions}}</td><td>{{sales}}</td><td>{{commissions}}</td><td>{{due}}</td></tr>
        {{/offers}}
        {{^offers}}<tr><td colspan="8" class="muted">No offers yet.</td></tr>{{/offers}}
        </tbody>
        <tfoot><tr><th class="text">Total</th><th></th><th id="total-members"></th><th id="total-clicks"></th><th id="total-conversions"></th><th></th><th></th><th></th></tr></tfoot>
        </table>
        <p class="muted">Download: <a href="/v1/reports/offers?format=csv&amp;range={{range}}">offers as CSV</a></p>
        </section>
        </main>
        <script>
        // Totals of the count columns, summed from the rows the server rendered.
        (function () {
          var columns = { "total-members": 2, "total-clicks": 3, "total-conversions": 4 };
          var rows = document.querySelectorAll("#offers tbody tr[data-offer]");
          Object.keys(columns).forEach(function (id) {
            var sum = 0;
            rows.forEach(function (row) { sum += parseInt(row.cells[columns[id]].textContent.replace(/,/g, ""), 10) || 0; });
            document.getElementById(id).textContent = sum.toLocaleString("en-US");
          });
          document.body.dataset.ready = "1";
        })();
        </script>
        </body>
        </html>
        """

    static let ops = """
        {{> head}}
        <header><h1>Clickline</h1><nav>{{#admin}}<a href="/dashboard">Dashboard</a>{{/admin}}<a class="here" href="/ops">Live</a></nav>
        <span class="muted" id="status">connecting…</span></header>
        <main>
        <section class="tiles">
        <div class="tile"><div class="value" id="rate-1s">{{rate1}}</div><div class="name">clicks/s, last second</div></div>
        <div class="tile"><div class="value" id="rate-10s">{{rate10}}</div><div class="name">clicks/s, last 10 s</div></div>
        <div class="tile"><div class="value" id="rate-60s">{{rate60}}</div><div class="name">clicks/s, last minute</div></div>
        <div class="tile"><div class="value" id="total-clicks">{{clicks}}</div><div class="name">clicks since the start</div></div>
        <div class="tile"><div class="value" id="total-billable">{{billable}}</div><div class="name">billable</div></div>
        <div class="tile"><div class="value" id="total-bot">{{bot}}</div><div class="name">bots</div></div>
        <div class="tile"><div class="value" id="total-dropped">{{dropped}}</div><div class="name">dropped (full rings)</div></div>
        </section>
        <section>
        <h2>Clicks per second, last two minutes</h2>
        <svg id="spark" class="chart" viewBox="0 0 600 120" preserveAspectRatio="none"><polyline class="clicks" points=""/></svg>
        </section>
        <section>
        <h2>Edge workers</h2>
        <table id="workers">
        <thead><tr><th class="text">Worker</th><th>Requests</th><th>Ring fill</th><th>Dropped</th><th>p50 µs</th><th>p99 µs</th><th>Catalogue</th></tr></thead>
        <tbody>
        {{#workers}}<tr><td>{{id}}</td><td>{{requests}}</td><td>{{fill}}</td><td>{{dropped}}</td><td>{{p50}}</td><td>{{p99}}</td><td>{{catalogue}}</td></tr>
        {{/workers}}
        </tbody>
        </table>
        </section>
        </main>
        <script>
        // Live figures from /v1/ops/live/stream (Server-Sent Events, one a second).
        (function () {
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
            if (history.length > 120) history.shift();
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
        </script>
        </body>
        </html>
        """

    static let partner = """
        {{> head}}
        <header><h1>{{offer}}</h1><span class="muted">{{name}}</span></header>
        <main>
        <section>
        <h2>{{#promo_code}}Your code{{/promo_code}}{{^promo_code}}Your link{{/promo_code}}</h2>
        <p><code class="copy" id="share">{{#promo_code}}{{promo_code}}{{/promo_code}}{{^promo_code}}{{tracking_url}}{{/promo_code}}</code>
        <button type="button" id="copy">Copy</button></p>
        <p class="muted">{{structure}}</p>
        </section>
        <section class="tiles">
        <div class="tile"><div class="value" id="conversions">{{conversion_count}}</div><div class="name">conversions</div></div>
        <div class="tile"><div class="value" id="expected">{{expected}}</div><div class="name">expected commission ({{currency}})</div></div>
        <div class="tile"><div class="value" id="paid">{{paid}}</div><div class="name">paid to you ({{currency}})</div></div>
        </section>
        <section>
        <h2>Conversions</h2>
        <table id="conversion-table">
        <thead><tr><th class="text">Date</th><th class="text">Order</th><th>Sale</th><th>Your commission</th><th class="text">Status</th></tr></thead>
        <tbody>
        {{#conversions}}<tr><td>{{date}}</td><td class="text">{{order}}</td><td>{{sale}}</td><td>{{commission}}</td><td class="text">{{status}}</td></tr>
        {{/conversions}}
        {{^conversions}}<tr><td colspan="5" class="muted">No conversions yet.</td></tr>{{/conversions}}
        </tbody>
        </table>
        </section>
        <section>
        <h2>Payments received</h2>
        <table id="payments">
        <thead><tr><th class="text">Date</th><th>Amount</th><th class="text">Reference</th></tr></thead>
        <tbody>
        {{#payments}}<tr><td>{{date}}</td><td>{{amount}}</td><td class="text">{{reference}}</td></tr>
        {{/payments}}
        {{^payments}}<tr><td colspan="3" class="muted">No payments yet.</td></tr>{{/payments}}
        </tbody>
        </table>
        </section>
        </main>
        <script>
        document.getElementById("copy").addEventListener("click", function () {
          navigator.clipboard.writeText(document.getElementById("share").textContent.trim());
          this.textContent = "Copied";
        });
        document.body.dataset.ready = "1";
        </script>
        </body>
        </html>
        """
}
