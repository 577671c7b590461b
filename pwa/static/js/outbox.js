/* Khum outbox: needs recorded on this phone wait in IndexedDB until the server has them.
   Shared by the pages (<script>) and the service worker (importScripts), so the same code
   sends from both; a Web Lock makes sure only one of them sends at a time, and each entry
   carries the idempotency key the server deduplicates on, so a need is never made twice. */
(function (scope) {
  "use strict";

  const DB_NAME = "khum";
  const DB_VERSION = 2;
  const NEEDS = "outbox";
  const META = "meta";
  const SEALED = "sealed"; // needs of a signed-out account, AES-GCM encrypted with its vault key
  const LOCK = "khum-outbox-send";
  const CHANNEL = "khum-outbox";
  // A weak line that connects but carries nothing must not hold the queue: a send that has
  // not been answered by then is tried again later (the idempotency key makes that safe).
  const TIMEOUT_MS = 10000;
  const ROUNDS = 5; // passes over the outbox per flush: entries added while sending are picked up


  let opened = null;
  const open = () => {
    if (!opened) {
      opened = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, DB_VERSION);
        req.onupgradeneeded = () => {
          const db = req.result;
          if (!db.objectStoreNames.contains(NEEDS)) db.createObjectStore(NEEDS, { keyPath: "key" });
          if (!db.objectStoreNames.contains(META)) db.createObjectStore(META, { keyPath: "name" });
          if (!db.objectStoreNames.contains(SEALED)) db.createObjectStore(SEALED, { keyPath: "key" });
        };
        req.onsuccess = () => {
          const db = req.result;
          db.onversionchange = () => { db.close(); opened = null; }; // lets logout delete it
          resolve(db);
        };
        req.onerror = () => { opened = null; reject(req.error); };
        req.onblocked = () => { opened = null; reject(new Error("blocked")); };
      });
    }
    return opened;
  };

  // One request in its own transaction; resolves when the transaction has committed.
  const run = (store, mode, work) => open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    let result;
    const req = work(tx.objectStore(store));
    if (req) req.onsuccess = () => { result = req.result; };
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("aborted"));
  }));

  const byAge = (a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0);
  const all = () => run(NEEDS, "readonly", (s) => s.getAll()).then((rows) => (rows || []).sort(byAge));
  const get = (key) => run(NEEDS, "readonly", (s) => s.get(key));
  const put = (entry) => run(NEEDS, "readwrite", (s) => s.put(entry));
  const remove = (key) => run(NEEDS, "readwrite", (s) => s.delete(key)).then(() => announce({ type: "changed" }));

  const mine = (account) => all().then((rows) => rows.filter((e) => e.account === account));

  // The session the entries are sent with: the page stores it, the service worker reads it.
  const getSession = () => run(META, "readonly", (s) => s.get("session"));
  const setSession = (session) => run(META, "readwrite", (s) => s.put(Object.assign({ name: "session" }, session)));

  // Pages and the service worker tell each other when the outbox changed or a need was sent.
  const listeners = [];
  let sender = null;
  const announce = (message) => {
    try {
      sender = sender || new BroadcastChannel(CHANNEL);
      sender.postMessage(message); // reaches every other channel object, in this page too
    } catch (e) {
      listeners.forEach((fn) => fn(message)); // no BroadcastChannel: this page at least
    }
  };
  const listen = (fn) => {
    try {
      new BroadcastChannel(CHANNEL).onmessage = (event) => fn(event.data || {});
    } catch (e) {
      listeners.push(fn);
    }
  };

  const add = (entry) => put(Object.assign({ state: "waiting", createdAt: new Date().toISOString() }, entry))
    .then(() => announce({ type: "changed" }));

  // Retrying later may help: the network, a busy or restarting server, an expired page or
  // session, a rate limit. Anything else is about the need itself: it waits for a fix.
  const retryable = (code) => !code || /^(service|auth|rate|limit|throttle)\b/.test(code) || code === "need.busy";

  // The send in flight, so that "the network is back" or "Send now" can cut a hung one short.
  let inFlight = null;
  const kick = () => { if (inFlight) inFlight.abort(); };

  const send = (entry, session) => {
    const abort = typeof AbortController === "function" ? new AbortController() : null;
    const timer = abort ? setTimeout(() => abort.abort(), TIMEOUT_MS) : null;
    inFlight = abort;
    return fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "content-type": "application/json",
        "accept": "application/json",
        "accept-language": session.lang || "km",
        "x-csrf-token": session.csrf || "",
      },
      body: scope.khumRequest("SubmitNeed", { input: entry.input }),
      signal: abort ? abort.signal : undefined,
    }).then((res) => (res.ok ? res.json() : { retry: true }), () => ({ retry: true, offline: true }))
      .then((body) => {
        if (timer) clearTimeout(timer);
        if (inFlight === abort) inFlight = null;
        if (body.retry) return body;
        const need = body && body.data && body.data.submitNeed;
        if (need) return { need };
        const error = (body && body.errors && body.errors[0]) || {};
        const ext = error.extensions || {};
        if (retryable(ext.code)) return { retry: true, code: ext.code || "" };
        return { failed: { code: ext.code, field: ext.field || "", message: error.message || "" } };
      }, () => ({ retry: true }));
  };

  // A page open since before a new sign-in holds an old CSRF token: read the current one.
  const freshSession = (session) => fetch("/", { credentials: "same-origin", cache: "no-store" })
    .then((res) => (res.ok && !res.redirected ? res.text() : ""))
    .then((html) => {
      const meta = (name) => {
        const m = html.match(new RegExp('<meta name="' + name + '" content="([^"]*)"'));
        return m ? m[1] : "";
      };
      const csrf = meta("csrf-token");
      if (!csrf || meta("khum-account") !== session.account) return null;
      const fresh = Object.assign({}, session, { csrf });
      return setSession(fresh).then(() => fresh);
    }, () => null);

  let chain = Promise.resolve();
  const exclusive = (work) => {
    if (scope.navigator && navigator.locks && navigator.locks.request) {
      return navigator.locks.request(LOCK, work); // across every tab and the service worker
    }
    const next = chain.then(work, work);
    chain = next.catch(() => {});
    return next;
  };

  /* Send every waiting entry of the signed-in account, oldest first, one at a time.
     Resolves to {sent: {key: need}, failed: {key: error}, waiting: n, offline: bool}. */
  const flush = (given) => exclusive(async () => {
    const report = { sent: {}, failed: {}, waiting: 0, offline: false };
    let session = given || (await getSession());
    if (!session || !session.account) return report;
    let refreshed = false;
    for (let round = 0; round < ROUNDS; round += 1) {
      const waiting = (await mine(session.account)).filter((e) => e.state === "waiting");
      if (!waiting.length) break;
      let stop = false;
      for (const entry of waiting) {
        const result = await send(entry, session);
        if (result.need) {
          await remove(entry.key);
          report.sent[entry.key] = result.need;
          announce({ type: "sent", key: entry.key, need: result.need });
        } else if (result.failed) {
          await put(Object.assign({}, entry, { state: "failed", error: result.failed }));
          report.failed[entry.key] = result.failed;
          announce({ type: "changed" });
        } else {
          if (/^auth/.test(result.code || "") && !refreshed) {
            refreshed = true;
            const fresh = await freshSession(session);
            if (fresh) { session = fresh; break; } // start the round again with the new token
          }
          report.offline = Boolean(result.offline);
          stop = true;
          break;
        }
      }
      if (stop) break;
    }
    report.waiting = (await mine(session.account)).filter((e) => e.state === "waiting").length;
    return report;
  });

  /* A shared phone: at sign-out the account's unsent needs are sealed with a key only its
     own signed-in pages carry (gateway/web/render.py vault_key), and opened again at its
     next sign-in here, then sent. Nobody else on the phone can read them meanwhile. */
  const bytes = (b64) => Uint8Array.from(atob(b64.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const vault = (b64) => crypto.subtle.importKey("raw", bytes(b64), "AES-GCM", false, ["encrypt", "decrypt"]);
  const seal = (account, keyB64) => mine(account).then(async (rows) => {
    if (!rows.length) return 0;
    const key = await vault(keyB64);
    for (const entry of rows) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key,
        new TextEncoder().encode(JSON.stringify(entry)));
      await run(SEALED, "readwrite", (s) => s.put({ key: entry.key, account, iv, data }));
      await run(NEEDS, "readwrite", (s) => s.delete(entry.key));
    }
    announce({ type: "changed" });
    return rows.length;
  });
  const unseal = (account, keyB64) => run(SEALED, "readonly", (s) => s.getAll()).then(async (rows) => {
    const own = (rows || []).filter((r) => r.account === account);
    if (!own.length) return 0;
    const key = await vault(keyB64);
    for (const row of own) {
      const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: row.iv }, key, row.data);
      await put(JSON.parse(new TextDecoder().decode(plain)));
      await run(SEALED, "readwrite", (s) => s.delete(row.key));
    }
    announce({ type: "changed" });
    return own.length;
  });
  const forgetSession = () => run(META, "readwrite", (s) => s.delete("session"));

  /* Tracking codes reserved for this phone while online (reserveTrackingCodes), so a citizen
     leaves with their final code even with no signal; the server confirms it on sync. */
  const codesOf = (account) => run(META, "readonly", (s) => s.get("codes:" + account))
    .then((row) => (row && row.codes) || []);
  const addCodes = (account, codes) => codesOf(account).then((have) => run(META, "readwrite",
    (s) => s.put({ name: "codes:" + account, codes: have.concat(codes.filter((c) => have.indexOf(c) < 0)) })));
  const takeCode = (account) => open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(META, "readwrite"); // read and remove in one step: never used twice
    const store = tx.objectStore(META);
    let code = null;
    const req = store.get("codes:" + account);
    req.onsuccess = () => {
      const codes = (req.result && req.result.codes) || [];
      code = codes.shift() || null;
      store.put({ name: "codes:" + account, codes });
    };
    tx.oncomplete = () => resolve(code);
    tx.onerror = () => reject(tx.error);
  }));

  scope.KhumOutbox = {
    add, all, mine, get, put, remove, flush, kick, getSession, setSession, forgetSession, listen, announce,
    seal, unseal, codesOf, addCodes, takeCode,
  };
})(self);
