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

    /* Three short screens: where and what, the need, who raised it. */
    const steps = $$(".step", form);
    const label = $("#step-label");
    let current = 0;
    const show = (index) => {
      current = Math.max(0, Math.min(steps.length - 1, index));
      steps.forEach((step, i) => { step.hidden = i !== current; });
      if (label) label.textContent = label.dataset.template.replace("{n}", String(current + 1));
      const first = $("input, select, textarea", steps[current]);
      if (first && index !== 0) first.focus();
    };
    const stepOf = (name) => {
      const field = form.elements[name];
      const el = field && (field.length && !field.tagName ? field[0] : field);
      return el ? steps.indexOf(el.closest(".step")) : -1;
    };
    const checkStep = (index) => {
      clearErrors();
      if (index === 0 && !form.elements.villageCode.value) fieldError("villageCode", msg.msgVillage);
      if (index === 1) {
        const text = form.elements.description.value.trim();
        if (!text) fieldError("description", msg.msgRequired);
        else if ([...text].length > 2000) fieldError("description", msg.msgTooLong);
      }
      if (index === 2) {
        const raiser = raisedBy();
        if (raiser.kind === "group" && !(raiser.people >= 1)) fieldError("people", msg.msgPeople);
        if (raiser.personal && !raiser.consent) fieldError("consent", msg.msgConsent);
      }
      return !focusInvalid();
    };
    $$("[data-next]", form).forEach((b) => b.addEventListener("click", () => { if (checkStep(current)) show(current + 1); }));
    $$("[data-back]", form).forEach((b) => b.addEventListener("click", () => { clearErrors(); show(current - 1); }));
    $$('input[name="raiserKind"]', form).forEach((radio) => radio.addEventListener("change", () => {
      $$("[data-kind]", form).forEach((box) => { box.hidden = box.dataset.kind !== radio.value; });
    }));
    const syncTypes = () => {
      const sector = $('input[name="sector"]:checked', form);
      $$("optgroup[data-sector]", form).forEach((group) => {
        group.hidden = group.disabled = Boolean(sector) && group.dataset.sector !== sector.value;
      });
      const chosen = form.elements.needType.selectedOptions[0];
      if (chosen && chosen.parentElement.disabled) form.elements.needType.value = "";
    };
    $$('input[name="sector"]', form).forEach((radio) => radio.addEventListener("change", syncTypes));
    syncTypes();
    show(0);

    const value = (name) => (form.elements[name] ? form.elements[name].value.trim() : "");
    const number = (name) => (value(name) === "" ? null : Number(value(name)));
    const raisedBy = () => {
      const kind = $('input[name="raiserKind"]:checked', form).value;
      const consent = form.elements.consent.checked ? "verbal" : null;
      if (kind === "group") {
        const counts = {};
        $$("[data-group]", form).forEach((input) => {
          if (input.value !== "") counts[input.dataset.group] = Number(input.value);
        });
        return { kind, people: number("people"), consent, personal: false, counts };
      }
      const details = {
        sex: value("sex") || null,
        ageBand: value("ageBand") || null,
        disability: value("disability") || null,
        idpoorLevel: number("idpoorLevel"),
        indigenousGroup: value("indigenousGroup") || null,
        migrantStatus: value("migrantStatus") || null,
        name: value("name") || null,
      };
      const phone = value("phone");
      const personal = phone !== "" || Object.values(details).some((v) => v !== null);
      return { kind, consent, personal, details, phone };
    };
    const raiserInput = (r) => {
      if (r.kind === "group") {
        const input = { kind: "group", people: r.people, consent: r.consent };
        const names = { women: "women", youth: "youth", elderly: "elderly", disability: "withDisability",
          idpoor: "idpoor", indigenous: "indigenous", migrant: "migrant" };
        Object.keys(r.counts).forEach((g) => { input[names[g]] = r.counts[g]; });
        return input;
      }
      if (!r.personal && !r.consent) return null;
      const input = Object.assign({ kind: "person", consent: r.consent }, r.details);
      if (r.phone) Object.assign(input, { contactChannel: "sms", contactAddress: r.phone });
      return input;
    };

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (button && button.disabled) return;
      for (let i = 0; i < steps.length; i += 1) {
        if (!checkStep(i)) { show(i); focusInvalid(); return; }
      }
      const sector = $('input[name="sector"]:checked', form);
      const input = {
        villageCode: form.elements.villageCode.value,
        description: value("description"),
        sector: sector ? sector.value : null,
        needType: value("needType") || null,
        beneficiaries: number("beneficiaries"),
        channel: value("channel") || "village_meeting",
        raisedBy: raiserInput(raisedBy()),
      };

      key = key || randomKey();
      input.idempotencyKey = key;
      if (button) button.disabled = true;
      form.setAttribute("aria-busy", "true");
      gql(SUBMIT, { input }).then((body) => {
        const errors = body && body.errors;
        const need = body && body.data && body.data.submitNeed;
        if (errors && errors.length) {
          const ext = errors[0].extensions || {};
          let field = ext.field || "";
          if (ext.code === "need.consent_missing") field = "consent";
          else if (field.indexOf("raisedBy.") === 0) field = field.slice(9) === "people" ? "people" : "consent";
          const text = errors[0].message || msg.msgNetwork;
          if (stepOf(field) >= 0) show(stepOf(field));
          if (fieldError(field, text)) focusInvalid();
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
