/* The reserve-margin board: one heatmap per day (areas × 30-minute slots), coloured by margin; red below the
   threshold, dark for a blackout (***). Plotly is served by this site (no CDN). */
(function () {
  var data = JSON.parse(document.getElementById("board-data").textContent);
  data.forEach(function (day, i) {
    var el = document.getElementById("board-" + i);
    if (!el || !window.Plotly) { return; }
    var t = day.threshold, top = 30;
    var f = function (v) { return Math.max(0, Math.min(1, (v + 1) / (top + 1))); };
    var colorscale = [
      [0, "#4a0d0d"], [f(-0.01), "#4a0d0d"], [f(0), "#c62828"], [f(t - 0.001), "#ef5350"],
      [f(t), "#ffb300"], [f(t + 2), "#fff176"], [f(15), "#a5d6a7"], [1, "#2e7d32"]
    ];
    Plotly.newPlot(el, [{
      type: "heatmap", z: day.z, x: day.slots, y: day.areas, text: day.text,
      zmin: -1, zmax: top, colorscale: colorscale, xgap: 1, ygap: 1,
      hovertemplate: "%{y} %{x}〜<br>広域予備率 %{text}<extra></extra>",
      colorbar: { title: { text: "%" }, tickvals: [0, t, 15, 30], ticktext: ["0", t + "（基準）", "15", "30+"] }
    }], {
      margin: { l: 60, r: 20, t: 10, b: 40 }, yaxis: { autorange: "reversed" },
      xaxis: { tickangle: -90, dtick: 4 }, font: { family: "Noto Sans CJK JP, sans-serif", size: 11 }
    }, { displayModeBar: false, responsive: true });
  });
})();
