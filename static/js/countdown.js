// Live countdowns: any element with data-due="<ISO time with offset>" shows the time left and
// turns red (class "overdue") once the time has passed, orange ("due-soon") in the last 30
// minutes. Seconds are shown under an hour, when they matter. The server-rendered text (the due
// time) stays if JavaScript is off. Elements swapped in by HTMX are picked up on the next tick.
(function () {
  "use strict";
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  function fmt(ms) {
    var late = ms <= 0, s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    var body;
    if (zh) {
      body = d ? d + "天" + h + "小时" : (h ? h + "小时" + m + "分" : m + "分" + sec + "秒");
    } else {
      body = d ? d + "d " + h + "h" : (h ? h + "h " + m + "m" : m + "m " + sec + "s");
    }
    if (late) return zh ? "已超时 " + body : "overdue by " + body;
    return zh ? "剩余 " + body : body + " left";
  }
  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll("[data-due]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) continue;
      var left = due - now;
      var text = fmt(left);
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle("overdue", left <= 0);
      el.classList.toggle("due-soon", left > 0 && left <= 30 * 60 * 1000);
      var row = el.closest("tr, .clock");
      if (row) row.classList.toggle(row.tagName === "TR" ? "row-overdue" : "is-overdue", left <= 0);
    }
  }
  tick();
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
})();
