// The agent API on the same origin (docs/handoff.md). Errors come back as ApiError with the
// API's own code and message ({"error": {"code", "message"}}).

/** Where the console keeps the signed-in token (sessionStorage: this tab only); the statistics
 * page, opened in the same tab, finds it there. */
export const TOKEN_KEY = "console.token";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A random id for Idempotency-Key. crypto.getRandomValues also works on plain http:// pages,
 * where crypto.randomUUID does not exist (it needs a secure context). */
export function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Api {
  constructor(token) {
    this.token = token;
  }

  async call(method, path, body, headers = {}) {
    const init = { method, headers: { Authorization: `Bearer ${this.token}`, ...headers } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (exc) {
      throw new ApiError(0, "network", String(exc && exc.message ? exc.message : exc));
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) throw failure(response, data);
    return data || {};
  }

  /**
   * A file from the API (exports, reports): fetched with the token (a plain link could not send
   * it), then saved under the name of its Content-Disposition. Returns that name.
   */
  async download(path) {
    let response;
    try {
      response = await fetch(path, { headers: { Authorization: `Bearer ${this.token}` } });
    } catch (exc) {
      throw new ApiError(0, "network", String(exc && exc.message ? exc.message : exc));
    }
    if (!response.ok) {
      let data = null;
      try {
        data = await response.json();
      } catch {
        data = null;
      }
      throw failure(response, data);
    }
    const blob = await response.blob();
    const name = filenameOf(response.headers.get("Content-Disposition"), path.split("?")[0].split("/").pop() || "download");
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    return name;
  }

  get(path) {
    return this.call("GET", path);
  }

  post(path, body, headers) {
    return this.call("POST", path, body, headers);
  }

  eventsUrl() {
    return `/events?token=${encodeURIComponent(this.token)}`;
  }
}

export const caseUrl = (id, tail = "") => `/cases/${encodeURIComponent(id)}${tail}`;

/** The API's error answer ({"error": {"code", "message"}}, or {"error": code, "message"}). */
function failure(response, data) {
  const error = data && typeof data.error === "object" && data.error ? data.error : {};
  const code = error.code || (typeof data?.error === "string" ? data.error : "") || `http_${response.status}`;
  const found = new ApiError(response.status, code, error.message || data?.message || response.statusText || "request failed");
  found.body = data; // the rest of the answer (a 409 of POST /training/retrain names the running job)
  return found;
}

/** The file name of a Content-Disposition header (RFC 6266: filename*=UTF-8'' wins over
 * filename=), without any path; `fallback` when there is none. */
export function filenameOf(disposition, fallback) {
  const text = disposition || "";
  let name = "";
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;\s]+)/.exec(text);
  if (extended) {
    try {
      name = decodeURIComponent(extended[1]);
    } catch {
      name = "";
    }
  }
  if (!name) {
    const plain = /filename\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(text);
    name = plain ? plain[1] ?? plain[2] ?? "" : "";
  }
  name = name.split(/[\\/]/).pop().trim();
  return name || fallback;
}
