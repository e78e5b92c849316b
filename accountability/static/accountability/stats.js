/* Notice statistics: draw the charts from the API (api:notice-stats) with ECharts.
 * Labels come from the page (translated there) and from the API's kind labels; the
 * tables under the charts hold the same figures for those without JavaScript or charts. */
(function () {
  "use strict";

  var COLOURS = { reminder: "#0dcaf0", supervision: "#ffc107", warning: "#fd7e14", accountability: "#343a40" };
  var MAX_UNITS = 20;

  function monthLabel(month) {
    var parts = month.split("-");
    return parseInt(parts[1], 10) + "月";
  }

  function kindSeries(kinds, rows, stackName, horizontal) {
    return kinds.map(function (k) {
      return {
        name: k.label,
        type: "bar",
        stack: stackName,
        itemStyle: { color: COLOURS[k.kind] },
        emphasis: { focus: "series" },
        data: rows.map(function (row) { return row[k.kind]; }),
        barMaxWidth: horizontal ? 18 : 32
      };
    });
  }

  function draw(root, data) {
    var kinds = data.by_kind;
    var charts = [];
    var kindChart = root.querySelector("[data-chart=kind]");
    var monthChart = root.querySelector("[data-chart=month]");
    var unitChart = root.querySelector("[data-chart=unit]");

    var pie = echarts.init(kindChart);
    pie.setOption({
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      legend: { bottom: 0, data: kinds.map(function (k) { return k.label; }) },
      color: kinds.map(function (k) { return COLOURS[k.kind]; }),
      series: [{
        type: "pie",
        radius: ["35%", "65%"],
        label: { formatter: "{b}\n{c}" },
        // Kinds with no notice stay in the legend but draw no empty slice or label.
        data: kinds.filter(function (k) { return k.count > 0; }).map(function (k) {
          return { name: k.label, value: k.count, itemStyle: { color: COLOURS[k.kind] } };
        })
      }]
    });
    charts.push(pie);

    var months = echarts.init(monthChart);
    months.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 56 },
      xAxis: { type: "category", data: data.by_month.map(function (r) { return monthLabel(r.month); }) },
      yAxis: { type: "value", minInterval: 1, name: root.dataset.countLabel },
      series: kindSeries(kinds, data.by_month, "month", false)
    });
    charts.push(months);

    var units = data.by_unit.slice(0, MAX_UNITS).reverse();
    unitChart.style.height = Math.max(240, 60 + units.length * 26) + "px";
    var byUnit = echarts.init(unitChart);
    byUnit.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 8, right: 24, top: 8, bottom: 40, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category",
        data: units.map(function (r) { return r.name; }),
        axisLabel: { width: 120, overflow: "truncate" }
      },
      series: kindSeries(kinds, units, "unit", true)
    });
    charts.push(byUnit);

    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  function load() {
    var root = document.getElementById("notice-charts");
    if (!root) return;
    var error = root.querySelector("[data-chart-error]");
    function fail() {
      error.textContent = root.dataset.errorLabel;
      error.classList.remove("d-none");
      root.querySelectorAll(".app-chart").forEach(function (el) { el.closest(".row").classList.add("d-none"); });
    }
    if (typeof window.echarts === "undefined") { fail(); return; }
    fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        draw(root, data);
        root.dataset.loaded = "true";
      })
      .catch(fail);
  }

  document.addEventListener("DOMContentLoaded", function () {
    load();
  });
})();
