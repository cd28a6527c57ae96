// Time spent on a lesson: while the page is visible (Page Visibility API) the seconds in view
// add up, and they are posted to /api/lessons/<id>/time every 30 s and when the page is
// hidden or left. The server caps each report and ignores reports that come too often.

const REPORT_EVERY_MS = 30_000;
const MAX_REPORT_S = 60; // the most seconds one report may carry

const lesson = document.getElementById("lesson");
const lessonId = lesson?.dataset.lessonId;

let visibleSince = document.visibilityState === "visible" ? performance.now() : null;
let banked = 0; // milliseconds in view not yet reported

/** Move the time in view so far into `banked`. */
function bank() {
  if (visibleSince !== null) {
    const at = performance.now();
    banked += at - visibleSince;
    visibleSince = document.visibilityState === "visible" ? at : null;
  }
}

/** Post the whole seconds banked (at most MAX_REPORT_S); the rest waits for the next report. */
function report() {
  bank();
  const seconds = Math.min(MAX_REPORT_S, Math.floor(banked / 1000));
  if (seconds < 1) return;
  banked -= seconds * 1000;
  // sendBeacon cannot send JSON's content type; fetch with keepalive outlives the page too.
  fetch(`/api/lessons/${encodeURIComponent(lessonId)}/time`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ seconds }),
    credentials: "same-origin",
    keepalive: true,
  }).catch(() => {}); // a lost report only undercounts
}

if (lessonId) {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      if (visibleSince === null) visibleSince = performance.now();
    } else {
      report();
      visibleSince = null;
    }
  });
  window.addEventListener("pagehide", report);
  setInterval(() => {
    if (document.visibilityState === "visible") report();
  }, REPORT_EVERY_MS);
}
