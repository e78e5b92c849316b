/* Ranking dashboard: draw the charts from the ranking API (api:ranking, api:ranking-trend)
 * with ECharts. Labels come from the page (translated there) and from the API's own labels;
 * the tables under the charts hold the same figures for those without JavaScript or charts. */
(function () {
  "use strict";

  var GRADE_COLOURS = { excellent: "#198754", good: "#0d6efd", fair: "#ffc107", poor: "#dc3545" };
  var TIER_COLOURS = ["#198754", "#0d6efd", "#ffc107", "#fd7e14", "#dc3545", "#6f42c1", "#20c997", "#6c757d", "#343a40"];
  var MAX_BARS = 40;

  function tierColour(tier) {
    return TIER_COLOURS[(tier - 1) % TIER_COLOURS.length];
  }

  function bars(el, rows, root) {
    var shown = rows.slice(0, MAX_BARS).reverse();
    el.style.height = Math.max(260, 60 + shown.length * 22) + "px";
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: function (items) {
          var r = shown[items[0].dataIndex];
          return r.rank + ". " + r.unit_name + "<br>" + root.dataset.totalLabel + "：" + r.total +
            "<br>" + r.grade_label + " · " + r.tier_label + (r.movement_text ? " · " + r.movement_text : "");
        }
      },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100 },
      yAxis: {
        type: "category",
        data: shown.map(function (r) { return r.rank + ". " + r.unit_name; }),
        axisLabel: { width: 110, overflow: "truncate" }
      },
      series: [{
        type: "bar",
        barMaxWidth: 18,
        label: { show: true, position: "right", formatter: function (p) { return shown[p.dataIndex].total; } },
        data: shown.map(function (r) {
          return { value: Number(r.total), itemStyle: { color: tierColour(r.tier) } };
        })
      }]
    });
    return chart;
  }

  function grades(el, data) {
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      legend: { bottom: 0 },
      series: [{
        type: "pie",
        radius: ["35%", "65%"],
        label: { formatter: "{b}\n{c}" },
        data: data.grades.filter(function (g) { return g.count > 0; }).map(function (g) {
          return { name: g.label, value: g.count, itemStyle: { color: GRADE_COLOURS[g.grade] } };
        })
      }]
    });
    return chart;
  }

  function tiers(el, data, root) {
    var labels = [];
    data.categories.forEach(function (c) {
      c.tiers.forEach(function (t) { if (labels.indexOf(t.label) < 0) labels.push(t.label); });
    });
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: data.categories.map(function (c) { return c.name; }), axisLabel: { width: 90, overflow: "truncate" } },
      yAxis: { type: "value", minInterval: 1, name: root.dataset.unitsLabel },
      series: labels.map(function (label, index) {
        return {
          name: label,
          type: "bar",
          stack: "tiers",
          barMaxWidth: 48,
          itemStyle: { color: tierColour(index + 1) },
          data: data.categories.map(function (c) {
            var tier = c.tiers.filter(function (t) { return t.label === label; })[0];
            return tier ? tier.count : 0;
          })
        };
      })
    });
    return chart;
  }

  function trend(el, data, root) {
    var chart = echarts.init(el);
    var rounds = [];
    data.points.forEach(function (p) { if (rounds.indexOf(p.title) < 0) rounds.push(p.title); });
    var series;
    if (data.unit) {
      series = [
        { name: root.dataset.totalLabel, type: "line", data: data.points.map(function (p) { return Number(p.total); }) },
        { name: root.dataset.rankLabel, type: "line", yAxisIndex: 1, data: data.points.map(function (p) { return p.rank; }) }
      ];
    } else {
      // One line per category (by id: a category renamed between rounds stays one line,
      // named as in the latest round).
      var names = {};
      var ids = [];
      data.points.forEach(function (p) {
        if (ids.indexOf(p.category) < 0) ids.push(p.category);
        names[p.category] = p.category_name;
      });
      series = ids.map(function (id) {
        return {
          name: names[id],
          type: "line",
          connectNulls: true,
          data: rounds.map(function (title) {
            var p = data.points.filter(function (q) { return q.title === title && q.category === id; })[0];
            return p ? Number(p.total) : null;
          })
        };
      });
    }
    var yAxis = [{ type: "value", min: 0, max: 100, name: data.unit ? root.dataset.totalLabel : root.dataset.averageLabel }];
    if (data.unit) yAxis.push({ type: "value", inverse: true, minInterval: 1, name: root.dataset.rankLabel });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: rounds, axisLabel: { width: 100, overflow: "truncate" } },
      yAxis: yAxis,
      series: series
    });
    return chart;
  }

  function draw(root, data, trendData) {
    var charts = [];
    root.querySelectorAll("[data-chart=bars]").forEach(function (el) {
      var id = Number(el.dataset.category);
      charts.push(bars(el, data.results.filter(function (r) { return r.category === id; }), root));
    });
    charts.push(grades(root.querySelector("[data-chart=grades]"), data));
    charts.push(tiers(root.querySelector("[data-chart=tiers]"), data, root));
    charts.push(trend(root.querySelector("[data-chart=trend]"), trendData, root));
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      });
  }

  function load() {
    var root = document.getElementById("ranking-charts");
    if (!root) return;
    var error = root.querySelector("[data-chart-error]");
    function fail() {
      error.textContent = root.dataset.errorLabel;
      error.classList.remove("d-none");
      root.querySelectorAll(".app-chart").forEach(function (el) { el.closest(".row").classList.add("d-none"); });
    }
    if (typeof window.echarts === "undefined") { fail(); return; }
    Promise.all([getJson(root.dataset.url), getJson(root.dataset.trendUrl)])
      .then(function (answers) {
        draw(root, answers[0], answers[1]);
        root.dataset.loaded = "true";
      })
      .catch(fail);
  }

  document.addEventListener("DOMContentLoaded", load);
})();
