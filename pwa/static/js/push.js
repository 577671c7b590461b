/* Khum: Web Push opt-in on this phone (the #push-optin section), and print buttons
   ([data-print]) for loudspeaker scripts. Texts come from the page (data-* attributes), so they
   are in the page's language. No framework, no inline code. */
(() => {
  "use strict";
  const $ = (sel) => document.querySelector(sel);

  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });

  const section = $("#push-optin");
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!section || !supported) return;
  const button = $("#push-enable");
  const status = $("#push-status");
  const label = button && (button.querySelector(".label") || button);
  const text = (name) => section.getAttribute("data-" + name) || "";

  const gql = (name, variables) => {
    const meta = $('meta[name="csrf-token"]');
    return fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "content-type": "application/json",
        "accept": "application/json",
        "accept-language": document.documentElement.lang || "km",
        "x-csrf-token": meta ? meta.content : "",
      },
      body: self.khumRequest(name, variables),
    }).then((res) => res.json()).then((body) => {
      if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
      return body.data;
    });
  };

  // A VAPID key is base64url; PushManager wants its bytes.
  const keyBytes = (base64url) => {
    const base64 = (base64url + "=".repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  };

  const REGISTER = "RegisterPushSubscription";
  const UNREGISTER = "UnregisterPushSubscription";

  const show = (on, message) => {
    if (label) label.textContent = text(on ? "turn-off" : "turn-on");
    if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
    if (status) status.textContent = message;
  };

  const register = (subscription) => {
    const json = subscription.toJSON();
    return gql(REGISTER, {
      i: {
        endpoint: json.endpoint,
        p256dh: json.keys.p256dh,
        auth: json.keys.auth,
        language: document.documentElement.lang === "en" ? "en" : "km",
      },
    });
  };

  let publicKey = null;
  let busy = false;

  const turnOn = (registration) =>
    Notification.requestPermission().then((permission) => {
      if (permission !== "granted") {
        show(false, text("denied"));
        return null;
      }
      return registration.pushManager
        .subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) })
        .then((subscription) => register(subscription).then(() => show(true, text("on"))));
    });

  const turnOff = (subscription) =>
    gql(UNREGISTER, { e: subscription.endpoint })
      .catch(() => null) // the server may have forgotten it already; the phone still unsubscribes
      .then(() => subscription.unsubscribe())
      .then(() => show(false, text("off")));

  gql("PushPublicKey").then((data) => {
    publicKey = data && data.pushPublicKey;
    if (!publicKey) return; // push is not set up on this server: nothing to offer
    return navigator.serviceWorker.ready.then((registration) =>
      registration.pushManager.getSubscription().then((existing) => {
        section.hidden = false;
        if (Notification.permission === "denied") {
          show(false, text("denied"));
        } else if (existing) {
          show(true, text("on"));
          register(existing).catch(() => {}); // refresh keys, language and audiences
        } else {
          show(false, text("off"));
        }
        button.addEventListener("click", () => {
          if (busy) return;
          busy = true;
          button.disabled = true;
          registration.pushManager.getSubscription()
            .then((current) => (current ? turnOff(current) : turnOn(registration)))
            .catch(() => { if (status) status.textContent = text("failed"); })
            .then(() => { busy = false; button.disabled = false; });
        });
      })
    );
  }).catch(() => {});
})();
