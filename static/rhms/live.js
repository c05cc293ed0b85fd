/* Live dashboard pages: the overview and the appointments list follow the hospital's event stream (/events/,
   Server-Sent Events) and refresh their live regions when a booking, cancellation or reschedule happens.

   Our own few lines, no library and no CDN. Each region is re-read from the server (the same page, the same
   filters), so what appears is what a reload would show. A region holding the keyboard focus is refreshed only
   once the focus leaves it. Without JavaScript, or once the stream is refused (signed out), the page shows its
   reload link instead. */
(function () {
  "use strict";
  var status = document.querySelector("[data-live-status]");
  var first = document.querySelector("[data-live-region]");
  if (!first || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var fallback = status ? status.innerHTML : "";
  var types = (first.getAttribute("data-live-events") || "").split(/\s+/).filter(Boolean);
  var queued = false;
  var waitingForFocus = false;

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function regions() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-live-region]"));
  }

  function focusInside() {
    return regions().some(function (region) {
      return region.contains(document.activeElement) && document.activeElement !== document.body;
    });
  }

  function refresh() {
    queued = false;
    if (focusInside()) {
      waitingForFocus = true;
      return;
    }
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        // Without the page's <style> (its nonce is the new response's: Chromium would report it to the CSP).
        var fresh = new DOMParser().parseFromString(html.replace(/<style[\s\S]*?<\/style>/gi, ""), "text/html");
        regions().forEach(function (region) {
          var name = region.getAttribute("data-live-region");
          var next = fresh.querySelector('[data-live-region="' + name + '"]');
          if (next) {
            region.replaceWith(document.adoptNode(next));
          }
        });
        say("Live: updated at " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + ".");
      })
      .catch(function () {
        if (status) {
          status.innerHTML = fallback;
        }
      });
  }

  function schedule() {
    if (!queued) {
      queued = true;
      window.setTimeout(refresh, 250); // one refresh for a burst of events
    }
  }

  document.addEventListener("focusout", function () {
    if (waitingForFocus) {
      waitingForFocus = false;
      window.setTimeout(schedule, 0);
    }
  });

  var source = new EventSource("/events/");
  source.onopen = function () {
    say("Live: new bookings, cancellations and changes appear here as they happen.");
  };
  source.onerror = function () {
    if (source.readyState === EventSource.CLOSED && status) {
      status.innerHTML = fallback; // refused (signed out, no access): reloading is the way
    }
  };
  types.forEach(function (type) {
    source.addEventListener(type, schedule);
  });
})();
