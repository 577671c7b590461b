/* Khum PWA: service worker, need form, notifications. No framework, no inline code. */
(() => {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }

  // At logout the phone forgets every cached page (they hold personal data).
  const logout = $('form[action="/logout"]');
  if (logout) {
    logout.addEventListener("submit", () => {
      const sw = navigator.serviceWorker && navigator.serviceWorker.controller;
      if (sw) sw.postMessage({ type: "clear" });
    });
  }

  // POST a GraphQL operation: resolves to the JSON body; rejects on a network
  // failure or a body that is not JSON.
  const gql = (query, variables) => {
    const meta = $('meta[name="csrf-token"]');
    return fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "content-type": "application/json",
        "accept": "application/json",
        // Answers (and errors) in the page's language, not the phone's setting.
        "accept-language": document.documentElement.lang || "km",
        "x-csrf-token": meta ? meta.content : "",
      },
      body: JSON.stringify({ query, variables: variables || {} }),
    }).then((res) => res.json());
  };

  const randomKey = () => {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => (b + 256).toString(16).slice(1)).join("");
  };

  /* ---------- Need form ---------- */

  const SUBMIT = "mutation SubmitNeed($input: SubmitNeedInput!) " +
    "{ submitNeed(input: $input) { id trackingCode status } }";

  const needForm = (form) => {
    const msg = form.dataset;
    const button = $("#need-submit", form) || $('button[type="submit"]', form);
    const formError = $("#need-error");
    const code = $("#tracking-code");
    let key = null; // one per form fill: a retry after a network error never makes a second need

    const clearErrors = () => {
      $$(".field-error", form).forEach((el) => { el.textContent = ""; el.hidden = true; });
      $$("[aria-invalid]", form).forEach((el) => el.removeAttribute("aria-invalid"));
      if (formError) { formError.textContent = ""; formError.hidden = true; }
    };
    const fieldError = (name, text) => {
      const el = $('.field-error[data-for="' + name + '"]', form);
      const field = form.elements[name];
      if (!el || !field) return false;
      el.id = el.id || "error-" + name;
      el.textContent = text;
      el.hidden = false;
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", el.id);
      return true;
    };
    const formMessage = (text) => {
      if (formError) { formError.textContent = text; formError.hidden = false; }
    };
    const focusInvalid = () => {
      const f = $('[aria-invalid="true"]', form);
      if (f) f.focus();
      return Boolean(f);
    };

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (button && button.disabled) return;
      clearErrors();
      const village = form.elements.villageCode.value;
      const description = form.elements.description.value.trim();
      const sector = $('input[name="sector"]:checked', form);
      if (!village) fieldError("villageCode", msg.msgVillage);
      if (!description) fieldError("description", msg.msgRequired);
      else if ([...description].length > 2000) fieldError("description", msg.msgTooLong);
      if (focusInvalid()) return;

      key = key || randomKey();
      if (button) button.disabled = true;
      form.setAttribute("aria-busy", "true");
      gql(SUBMIT, {
        input: { villageCode: village, description, sector: sector ? sector.value : null, idempotencyKey: key },
      }).then((body) => {
        const errors = body && body.errors;
        const need = body && body.data && body.data.submitNeed;
        if (errors && errors.length) {
          const field = errors[0].extensions && errors[0].extensions.field;
          const text = errors[0].message || msg.msgNetwork;
          if ((field === "villageCode" || field === "description") && fieldError(field, text)) focusInvalid();
          else formMessage(text);
        } else if (need) {
          key = null;
          form.hidden = true;
          code.textContent = need.trackingCode;
          $("#need-result").hidden = false;
          code.tabIndex = -1;
          code.focus();
        } else {
          formMessage(msg.msgNetwork);
        }
      }, () => formMessage(msg.msgNetwork)) // the key is kept: a retry is the same need
        .then(() => {
          if (button) button.disabled = false;
          form.removeAttribute("aria-busy");
        });
    });

    const copy = $("#copy-code");
    if (copy) {
      copy.addEventListener("click", () => {
        const select = () => {
          const range = document.createRange();
          range.selectNodeContents(code);
          const sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
          try { document.execCommand("copy"); } catch (e) { /* the text stays selected */ }
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(code.textContent).catch(select);
        } else {
          select();
        }
      });
    }

    const share = $("#share-code");
    if (share) {
      share.addEventListener("click", () => {
        const text = (share.dataset.shareText || "{code}").replace("{code}", code.textContent);
        const sms = () => { location.href = "sms:?&body=" + encodeURIComponent(text); };
        if (navigator.share) {
          navigator.share({ text }).catch((err) => { if (!err || err.name !== "AbortError") sms(); });
        } else {
          sms();
        }
      });
    }
  };

  /* ---------- Notifications ---------- */

  const FIELDS = "{ id text kind ref createdAt }";
  const LIST = "query { notifications(first: 20) { edges { node " + FIELDS + " } } }";
  const LIVE = "subscription { notificationAdded " + FIELDS + " }";

  const notifications = (list) => {
    const empty = $("#notifications-empty");
    const status = $("#live-status");
    let fmt;
    try {
      fmt = new Intl.DateTimeFormat(document.documentElement.lang === "en" ? "en-GB" : "km-KH", {
        dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Phnom_Penh",
      });
    } catch (e) {
      fmt = { format: (d) => d.toLocaleString() };
    }
    list.setAttribute("aria-live", "polite");
    const when = (li) => Date.parse(li.dataset.created) || 0;

    // Newest first; a notification already shown is skipped.
    const add = (n) => {
      if (!n || n.id == null) return;
      const id = String(n.id);
      const items = Array.from(list.children);
      if (items.some((li) => li.dataset.id === id)) return;
      const li = document.createElement("li");
      li.className = "card";
      li.dataset.id = id;
      li.dataset.created = n.createdAt || "";
      if (n.kind) li.dataset.kind = n.kind;
      const p = document.createElement("p");
      p.textContent = n.text || "";
      li.appendChild(p);
      const t = new Date(n.createdAt);
      if (!isNaN(t)) {
        const time = document.createElement("time");
        time.className = "muted";
        time.dateTime = n.createdAt;
        time.textContent = fmt.format(t);
        li.appendChild(time);
      }
      const at = when(li);
      list.insertBefore(li, items.find((other) => when(other) <= at) || null);
      if (empty) empty.hidden = true;
    };

    const load = () => gql(LIST).then((body) => {
      const conn = body && body.data && body.data.notifications;
      ((conn && conn.edges) || []).forEach((e) => add(e && e.node));
      if (empty) empty.hidden = list.children.length > 0;
    }).catch(() => {});

    const setStatus = (attr) => { if (status) status.textContent = status.getAttribute(attr) || ""; };

    // graphql-transport-ws, one subscription (id "1"), reconnecting with backoff 1 s .. 30 s.
    let ws = null, delay = 1000, retry = null, steady = null, acks = 0;
    const reconnect = () => {
      if (retry) return;
      retry = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
    const connect = () => {
      clearTimeout(retry);
      retry = null;
      let sock;
      try {
        sock = new WebSocket((location.protocol === "https:" ? "wss:" : "ws:") + "//" +
          location.host + "/graphql", "graphql-transport-ws");
      } catch (e) {
        reconnect();
        return;
      }
      ws = sock;
      const send = (m) => sock.send(JSON.stringify(m));
      sock.onopen = () => send({ type: "connection_init", payload: {} });
      sock.onmessage = (event) => {
        let m;
        try { m = JSON.parse(event.data); } catch (e) { return; }
        if (!m) return;
        if (m.type === "connection_ack") {
          setStatus("data-live");
          send({ id: "1", type: "subscribe", payload: { query: LIVE } });
          steady = setTimeout(() => { delay = 1000; }, 10000); // healthy link: reset the backoff
          if (acks++) load(); // after a reconnect, fetch what came while away
        } else if (m.type === "next" && m.id === "1") {
          add(m.payload && m.payload.data && m.payload.data.notificationAdded);
        } else if (m.type === "ping") {
          send({ type: "pong" });
        } else if ((m.type === "error" || m.type === "complete") && m.id === "1") {
          sock.close(1000); // the subscription ended: start again, with backoff
        }
      };
      sock.onerror = () => setStatus("data-offline");
      sock.onclose = () => {
        clearTimeout(steady);
        if (ws === sock) ws = null;
        setStatus("data-offline");
        reconnect();
      };
    };
    window.addEventListener("online", () => {
      if (!ws && retry) { delay = 1000; connect(); }
    });

    load().then(connect);
  };

  const form = $("#need-form");
  if (form) needForm(form);
  const list = $("#notification-list");
  if (list) notifications(list);
})();
