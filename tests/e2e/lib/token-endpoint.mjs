/*
 * tests/e2e/lib/token-endpoint.mjs - a real local OAuth 2.0 token endpoint
 * (client-credentials grant) for the OAuth delivery tests.
 *
 * A node:http server on 127.0.0.1 (free port) that
 *   - checks client authentication: `Authorization: Basic base64(urlenc(id)
 *     ":" urlenc(secret))` (RFC 6749 §2.3.1) against the registered client;
 *     a request without valid credentials gets 401 {"error":"invalid_client"}
 *     and issues nothing (Cognito-like);
 *   - records every request (method, raw url, path, raw query and its parsed
 *     pairs, headers, raw body, parsed form body, decoded client credentials,
 *     arrival time, what it answered);
 *   - answers from a script: a list of responses consumed in order, the last
 *     one repeating.
 *
 * A response is one of
 *   { token: 'abc', expiresIn: 3600, tokenType: 'Bearer', extra: {} }
 *       200 JSON {"access_token", "token_type", "expires_in"?, ...extra};
 *       token defaults to a fresh unique string, expiresIn to 3600;
 *       expiresIn: undefined in the object (key present) omits expires_in,
 *       any other value (0, -5, "3600", 61.5) is sent as is.
 *   { status, body, headers }       any raw answer (body string, Buffer or object -> JSON;
 *                                   either member makes it raw; status defaults to 200)
 *   { huge: bytes }                 200 JSON with a valid access_token padded to `bytes`
 *   { hang: true }                  never answer
 *   { close: true }                 destroy the socket without answering
 * and any of them may carry delayMs. A function (req) => response is allowed.
 * Every token issued is kept in `issued` (the tests search for leaks).
 *
 * Nothing here listens anywhere but 127.0.0.1.
 */
import crypto from 'node:crypto';
import http from 'node:http';

let seq = 0;

/* A unique, recognisable access token. */
export function newToken(tag = 'tok') {
    return `${tag}-${++seq}-${crypto.randomBytes(12).toString('hex')}`;
}

/* application/x-www-form-urlencoded decoding ('+' is a space). */
function formDecode(s) {
    return decodeURIComponent(s.replace(/\+/g, ' '));
}

/* "a=1&b=2" -> [['a', '1'], ['b', '2']] (order and duplicates kept). */
export function parsePairs(s) {
    if (!s)
        return [];
    return s.split('&').filter((p) => p !== '').map((p) => {
        const i = p.indexOf('=');
        return i < 0 ? [formDecode(p), ''] : [formDecode(p.slice(0, i)), formDecode(p.slice(i + 1))];
    });
}

/* RFC 3986 percent-encoding (unreserved: A-Z a-z 0-9 - _ . ~). */
export function urlenc(s) {
    return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/* The Basic credential value evbridge is expected to send for (id, secret). */
export function basicCredential(id, secret) {
    return Buffer.from(`${urlenc(id)}:${urlenc(secret)}`, 'utf8').toString('base64');
}

export class TokenEndpoint {
    constructor({ clientId, clientSecret, path = '/oauth2/token', script } = {}) {
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.path = path;
        this.requests = [];
        this.issued = [];
        this._list = script ? script.map((r) => r) : [{}];
        this._next = 0;
        this._sockets = new Set();
        this._timers = new Set();
        this._waiters = new Set();
        this._server = http.createServer((req, res) => this._onRequest(req, res));
        this._server.keepAliveTimeout = 60000;
        this._server.requestTimeout = 0;
        this._server.on('connection', (s) => {
            this._sockets.add(s);
            s.on('close', () => this._sockets.delete(s));
            s.on('error', () => {});
        });
        this._server.on('clientError', (err, s) => s.destroy());
    }

    async start() {
        await new Promise((resolve, reject) => {
            this._server.once('error', reject);
            this._server.listen(0, '127.0.0.1', () => resolve());
        });
        this.port = this._server.address().port;
        this.origin = `http://127.0.0.1:${this.port}`;
        return this;
    }

    /* The AuthorizationEndpoint: http://127.0.0.1:<port><path>[?query] */
    url(query = '') {
        return `${this.origin}${this.path}${query ? `?${query}` : ''}`;
    }

    /* Replaces the script; the next request gets responses[0]. */
    script(responses) {
        if (!Array.isArray(responses) || responses.length === 0)
            throw new Error('script needs at least one response');
        this._list = responses.map((r) => r);
        this._next = 0;
        return this;
    }

    /* Appends answers after the ones not consumed yet (the last still repeats). */
    append(...responses) {
        const rest = this._list.slice(Math.min(this._next, this._list.length));
        this._list = [...(this._next >= this._list.length ? [] : rest), ...responses];
        this._next = 0;
        return this;
    }

    get count() {
        return this.requests.length;
    }

    /* The access tokens answered so far, in order. */
    get tokens() {
        return this.issued.slice();
    }

    /* Resolves once `n` requests have arrived (and been answered, if they are answered at once). */
    waitForCount(n, timeoutMs = 5000) {
        return new Promise((resolve, reject) => {
            const w = {
                check: () => {
                    if (this.requests.length >= n) {
                        clearTimeout(w.timer);
                        this._waiters.delete(w);
                        resolve(this.requests.slice());
                        return true;
                    }
                    return false;
                },
            };
            w.timer = setTimeout(() => {
                this._waiters.delete(w);
                reject(new Error(`token endpoint: ${n} requests not seen within ${timeoutMs} ms ` +
                    `(got ${this.requests.length})`));
            }, timeoutMs);
            if (!w.check())
                this._waiters.add(w);
        });
    }

    async stop() {
        for (const w of this._waiters)
            clearTimeout(w.timer);
        this._waiters.clear();
        for (const t of this._timers)
            clearTimeout(t);
        this._timers.clear();
        for (const s of this._sockets)
            s.destroy();
        await new Promise((resolve) => this._server.close(() => resolve()));
    }

    _take(rec) {
        const r = this._list[Math.min(this._next, this._list.length - 1)];
        this._next++;
        return typeof r === 'function' ? r(rec) : r;
    }

    _credentials(header) {
        const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
        if (!m)
            return null;
        const pair = Buffer.from(m[1], 'base64').toString('utf8');
        const i = pair.indexOf(':');
        if (i < 0)
            return null;
        try {
            return { id: formDecode(pair.slice(0, i)), secret: formDecode(pair.slice(i + 1)), raw: m[1] };
        } catch {
            return null;
        }
    }

    _onRequest(req, res) {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('error', () => {});
        req.on('end', () => {
            const body = Buffer.concat(chunks);
            const text = body.toString('utf8');
            const q = req.url.indexOf('?');
            const rawHeaders = [];
            for (let i = 0; i < req.rawHeaders.length; i += 2)
                rawHeaders.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
            const creds = this._credentials(req.headers.authorization);
            const rec = {
                method: req.method,
                url: req.url,
                path: q < 0 ? req.url : req.url.slice(0, q),
                query: q < 0 ? '' : req.url.slice(q + 1),
                queryPairs: q < 0 ? [] : parsePairs(req.url.slice(q + 1)),
                headers: req.headers,
                rawHeaders,
                body,
                text,
                form: /^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')
                    ? parsePairs(text) : null,
                credentials: creds,
                authOk: !!creds && creds.id === this.clientId && creds.secret === this.clientSecret,
                time: Date.now(),
                answer: null,
                token: null,
            };
            this.requests.push(rec);
            this._answer(req, res, rec);
            for (const w of [...this._waiters])
                w.check();
        });
    }

    _answer(req, res, rec) {
        let r;
        if (rec.path !== this.path)
            r = { status: 404, body: { error: 'not_found' } };
        else if (!rec.authOk)
            r = { status: 401, body: { error: 'invalid_client' } };
        else
            r = this._take(rec) ?? {};
        rec.answer = r;
        if (r.hang)
            return;
        if (r.close) {
            req.socket.destroy();
            return;
        }
        let status = r.status ?? 200;
        let headers = { 'content-type': 'application/json', ...(r.headers ?? {}) };
        let buf;
        if (r.body !== undefined || r.status !== undefined) {
            const b = r.body ?? '';
            buf = Buffer.isBuffer(b) ? b : Buffer.from(typeof b === 'string' ? b : JSON.stringify(b), 'utf8');
        } else if (r.huge) {
            const token = r.token ?? newToken('huge');
            const head = JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600, pad: '' });
            const pad = 'x'.repeat(Math.max(0, r.huge - Buffer.byteLength(head)));
            buf = Buffer.from(JSON.stringify({
                access_token: token, token_type: 'Bearer', expires_in: 3600, pad,
            }), 'utf8');
            this.issued.push(token);
            rec.token = token;
        } else {
            const token = r.token ?? newToken();
            const doc = { access_token: token, token_type: r.tokenType ?? 'Bearer' };
            if (!('expiresIn' in r))
                doc.expires_in = 3600;
            else if (r.expiresIn !== undefined)
                doc.expires_in = r.expiresIn;
            Object.assign(doc, r.extra ?? {});
            buf = Buffer.from(JSON.stringify(doc), 'utf8');
            status = 200;
            headers = { 'content-type': 'application/json', 'cache-control': 'no-store', ...(r.headers ?? {}) };
            this.issued.push(token);
            rec.token = token;
        }
        const send = () => {
            if (res.destroyed || res.writableEnded)
                return;
            res.writeHead(status, { 'content-length': String(buf.length), ...headers });
            res.end(buf);
        };
        if (r.delayMs > 0) {
            const t = setTimeout(() => {
                this._timers.delete(t);
                send();
            }, r.delayMs);
            this._timers.add(t);
        } else {
            send();
        }
    }
}

export async function startTokenEndpoint(opts = {}) {
    return new TokenEndpoint(opts).start();
}
