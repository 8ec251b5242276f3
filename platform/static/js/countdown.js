// Counts down every [data-countdown] (a Unix time) as h:mm:ss, and reloads the page when one
// reaches zero: the server says what the new moment brings (the assessment open, or over).
(() => {
  const clocks = [...document.querySelectorAll("[data-countdown]")];
  if (!clocks.length) return;
  const pad = (n) => String(n).padStart(2, "0");
  const tick = () => {
    const now = Date.now() / 1000;
    for (const clock of clocks) {
      const left = Math.max(0, Math.round(Number(clock.dataset.countdown) - now));
      const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      clock.textContent = h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
      if (left === 0 && !clock.dataset.done) {
        clock.dataset.done = "1";
        setTimeout(() => window.location.reload(), 1500);
      }
    }
  };
  tick();
  setInterval(tick, 1000);
})();
