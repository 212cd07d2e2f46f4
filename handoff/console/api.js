// The agent API on the same origin (docs/handoff.md). Errors come back as ApiError with the
// API's own code and message ({"error": {"code", "message"}}).

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
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiError(response.status, error.code || `http_${response.status}`,
        error.message || data?.message || response.statusText || "request failed");
    }
    return data || {};
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
