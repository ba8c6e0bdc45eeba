// The JSON API of docs/http-api.md, and nothing else.
// Every POST/DELETE carries X-CSRF-Token; a 401 (other than a failed login) sends the
// page back to the login view through the handler app.js installs.

let csrfToken = null;
let unauthorizedHandler = () => {};

export function setCsrfToken(token) {
  csrfToken = token || null;
}

export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

export class ApiError extends Error {
  constructor({ status, code, message, details, retryAfter }) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || (status === 0 ? 'NETWORK' : 'RISKSCREEN_INTERNAL');
    this.serverMessage = message || '';
    this.details = details || null;
    this.retryAfter = retryAfter ?? null;
  }
}

/** Seconds from a Retry-After header (a number of seconds or an HTTP date). */
function parseRetryAfter(value) {
  if (!value) return null;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, Math.round(n));
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, Math.round((when - Date.now()) / 1000));
}

function errorFrom(status, bodyText, retryAfterHeader) {
  let body = null;
  try {
    body = bodyText ? JSON.parse(bodyText) : null;
  } catch {
    body = null;
  }
  return new ApiError({
    status,
    code: body && typeof body.code === 'string' ? body.code : null,
    message: body && typeof body.message === 'string' ? body.message : '',
    details: body && typeof body.details === 'object' ? body.details : null,
    retryAfter:
      parseRetryAfter(retryAfterHeader) ??
      (body && body.details && Number.isFinite(body.details.retryAfterSeconds) ? body.details.retryAfterSeconds : null),
  });
}

function handle401(error, options) {
  if (error.status === 401 && error.code !== 'RISKSCREEN_LOGIN_FAILED' && !options.allow401) {
    unauthorizedHandler(error);
  }
}

function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * request('GET', '/api/batches', { query: { page: 2 } })
 * request('POST', '/api/batches', { json: {...} })
 */
export async function request(method, path, options = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-store',
      signal: options.signal,
    });
  } catch (cause) {
    if (cause && cause.name === 'AbortError') throw cause;
    throw new ApiError({ status: 0, code: 'NETWORK', message: '' });
  }
  const text = await response.text();
  if (!response.ok) {
    const error = errorFrom(response.status, text, response.headers.get('Retry-After'));
    handle401(error, options);
    throw error;
  }
  if (response.status === 204 || text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError({ status: response.status, code: 'RISKSCREEN_INTERNAL', message: '' });
  }
}

export const api = {
  session: () => request('GET', '/api/session', { allow401: true }),
  login: (name, password) => request('POST', '/api/login', { json: { name, password }, allow401: true }),
  logout: () => request('POST', '/api/logout', { allow401: true }),
  batches: (query, signal) => request('GET', '/api/batches', { query, signal }),
  batch: (id, signal) => request('GET', `/api/batches/${encodeURIComponent(id)}`, { signal }),
  cancel: (id) => request('POST', `/api/batches/${encodeURIComponent(id)}/cancel`),
  start: (body) => request('POST', '/api/batches', { json: body }),
  preview: (uploadId, query, signal) =>
    request('GET', `/api/uploads/${encodeURIComponent(uploadId)}/preview`, { query, signal }),
  discard: (uploadId) => request('DELETE', `/api/uploads/${encodeURIComponent(uploadId)}`),
};

export function eventsUrl(id) {
  return `/api/batches/${encodeURIComponent(id)}/events`;
}

export function fileUrl(id, kind, query) {
  return withQuery(`/api/batches/${encodeURIComponent(id)}/files/${encodeURIComponent(kind)}`, query);
}

/**
 * Uploads one file with XMLHttpRequest (fetch has no upload progress).
 * Returns { promise, abort }; the promise gives the `upload` object of the 201 answer.
 */
export function uploadFile(file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', '/api/uploads');
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.addEventListener('progress', (event) => {
      onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          const body = JSON.parse(xhr.responseText);
          resolve(body.upload || body);
        } catch {
          reject(new ApiError({ status: xhr.status, code: 'RISKSCREEN_INTERNAL', message: '' }));
        }
        return;
      }
      const error = errorFrom(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After'));
      handle401(error, {});
      reject(error);
    });
    xhr.addEventListener('error', () => reject(new ApiError({ status: 0, code: 'NETWORK', message: '' })));
    xhr.addEventListener('abort', () => {
      const error = new Error('aborted');
      error.name = 'AbortError';
      reject(error);
    });
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
