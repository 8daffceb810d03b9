// Live countdowns: any element with data-due="<ISO time>" shows the time left, and turns red
// (class "overdue") once the time has passed. Server-rendered text stays if JS is off.
(function () {
  "use strict";
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  function fmt(ms) {
    var late = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var body = zh ? (h ? h + "小时" : "") + m + "分" + (h ? "" : sec + "秒")
                  : (h ? h + "h " : "") + m + "m" + (h ? "" : " " + sec + "s");
    if (late) return zh ? "已超时 " + body : "overdue by " + body;
    return zh ? "剩余 " + body : body + " left";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var left = due - now;
      el.textContent = fmt(left);
      el.classList.toggle("overdue", left <= 0);
      el.classList.toggle("due-soon", left > 0 && left <= 30 * 60 * 1000);
    });
  }
  tick();
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
})();
