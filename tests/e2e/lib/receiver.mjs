/*
 * tests/e2e/lib/receiver.mjs - a real local HTTP endpoint for delivery tests.
 *
 * A node:http server on 127.0.0.1 (free port, keep-alive) that records every
 * request it gets (method, raw url, path, query, headers, raw body, arrival
 * time, the client socket) and answers from a programmable script:
 *
 *   rx.script('/path', [{ status: 500 }, { status: 500 }, { status: 200 }]);
 *
 * Each path has a list of responses consumed in order; the last one repeats.
 * A response is { status = 200, headers = {}, body = '', delayMs = 0 } (headers
 * and body may be functions, called when the answer is sent) or
 * { hang: true } (never answer) or { close: true } (destroy the socket
 * without answering). Paths without a script get the default response
 * (200, empty body), delayed by `slowMs` in slow mode.
 *
 * Nothing here listens anywhere but 127.0.0.1.
 */
import http from 'node:http';

function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}

export class Receiver {
    constructor({ slowMs = 0 } = {}) {
        this.requests = [];
        this.slowMs = slowMs;
        this._scripts = new Map();
        this._default = { status: 200 };
        this._sockets = new Set();
        this._socketIds = new WeakMap();
        this._nextSocketId = 1;
        this._waiters = new Set();
        this._pending = new Set(); /* responses held back (hang / delay) */
        this._server = http.createServer((req, res) => this._onRequest(req, res));
        this._server.keepAliveTimeout = 60000;
        this._server.headersTimeout = 65000;
        this._server.requestTimeout = 0;
        this._server.on('connection', (s) => {
            this._sockets.add(s);
            this._socketIds.set(s, this._nextSocketId++);
            s.on('close', () => this._sockets.delete(s));
            s.on('error', () => {});
        });
        this._server.on('clientError', (err, s) => {
            s.destroy();
        });
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

    /* http://127.0.0.1:<port><p> */
    url(p = '/') {
        return `${this.origin}${p}`;
    }

    /* Programs the answers for one path (the url before '?'); replaces any earlier script. */
    script(p, responses) {
        if (!Array.isArray(responses) || responses.length === 0)
            throw new Error('script needs at least one response');
        this._scripts.set(p, { list: responses.map((r) => ({ ...r })), next: 0 });
        return this;
    }

    /* Shorthands: every request to p hangs / has its socket closed / is answered slowly. */
    hang(p) {
        return this.script(p, [{ hang: true }]);
    }

    close(p) {
        return this.script(p, [{ close: true }]);
    }

    slow(p, delayMs, status = 200) {
        return this.script(p, [{ status, delayMs }]);
    }

    /* Slow mode for every path without a script (0 turns it off). */
    setSlow(ms) {
        this.slowMs = ms;
    }

    setDefault(response) {
        this._default = { ...response };
    }

    /* The requests to one path (exact, without the query), or matching a predicate. */
    on(p) {
        return this.requests.filter(typeof p === 'function' ? p : (r) => r.path === p);
    }

    /*
     * Resolves with predicate(requests)'s truthy value once it has one;
     * rejects after timeoutMs with what was seen so far.
     */
    waitFor(predicate, timeoutMs = 5000, what = 'condition') {
        return new Promise((resolve, reject) => {
            const w = {
                check: () => {
                    let v;
                    try {
                        v = predicate(this.requests);
                    } catch (e) {
                        v = undefined;
                        w.lastError = e;
                    }
                    if (v) {
                        clearTimeout(w.timer);
                        this._waiters.delete(w);
                        resolve(v);
                        return true;
                    }
                    return false;
                },
            };
            w.timer = setTimeout(() => {
                this._waiters.delete(w);
                const seen = this.requests.map((r) => `${r.method} ${r.url}`).slice(-20);
                reject(new Error(`receiver: ${what} not met within ${timeoutMs} ms; ` +
                    `${this.requests.length} requests, last: ${JSON.stringify(seen)}` +
                    `${w.lastError ? `; predicate threw ${w.lastError.message}` : ''}`));
            }, timeoutMs);
            if (!w.check())
                this._waiters.add(w);
        });
    }

    /* Waits until `n` requests to path p (or matching a predicate) have arrived; returns them. */
    waitForCount(p, n, timeoutMs = 5000) {
        const sel = typeof p === 'function' ? p : (r) => r.path === p;
        return this.waitFor((reqs) => {
            const got = reqs.filter(sel);
            return got.length >= n ? got : null;
        }, timeoutMs, `${n} requests to ${typeof p === 'function' ? 'predicate' : p}`);
    }

    /* Forgets recorded requests (all, or those to one path). */
    clear(p) {
        this.requests = p === undefined ? [] : this.requests.filter((r) => r.path !== p);
    }

    async stop() {
        for (const w of this._waiters)
            clearTimeout(w.timer);
        this._waiters.clear();
        for (const t of this._pending)
            clearTimeout(t);
        this._pending.clear();
        for (const s of this._sockets)
            s.destroy();
        await new Promise((resolve) => this._server.close(() => resolve()));
    }

    _next(p) {
        const s = this._scripts.get(p);
        if (!s)
            return { ...this._default, delayMs: this._default.delayMs ?? this.slowMs };
        const r = s.list[Math.min(s.next, s.list.length - 1)];
        s.next++;
        return r;
    }

    _onRequest(req, res) {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('error', () => {});
        req.on('end', () => {
            const time = Date.now();
            const body = Buffer.concat(chunks);
            const q = req.url.indexOf('?');
            const rawHeaders = [];
            for (let i = 0; i < req.rawHeaders.length; i += 2)
                rawHeaders.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
            const text = body.toString('utf8');
            let json;
            try {
                json = JSON.parse(text);
            } catch {
                json = undefined;
            }
            const rec = {
                method: req.method,
                url: req.url,
                path: q < 0 ? req.url : req.url.slice(0, q),
                query: q < 0 ? '' : req.url.slice(q + 1),
                headers: req.headers,
                rawHeaders,
                body,
                text,
                json,
                time,
                socket: this._socketIds.get(req.socket),
                /* every value of a header, case-insensitively, as sent */
                all(name) {
                    const n = name.toLowerCase();
                    return rawHeaders.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
                },
            };
            this.requests.push(rec);
            for (const w of [...this._waiters])
                w.check();
            this._answer(req, res, this._next(rec.path));
        });
    }

    _answer(req, res, r) {
        if (r.hang)
            return;
        if (r.close) {
            req.socket.destroy();
            return;
        }
        const send = () => {
            if (res.destroyed || res.writableEnded)
                return;
            const body = r.body === undefined ? '' : (typeof r.body === 'function' ? r.body() : r.body);
            const buf = Buffer.isBuffer(body) ? body : Buffer.from(String(body), 'utf8');
            const headers = typeof r.headers === 'function' ? r.headers() : r.headers;
            res.writeHead(r.status ?? 200, { 'content-length': String(buf.length), ...(headers ?? {}) });
            res.end(req.method === 'HEAD' ? undefined : buf);
        };
        if (r.delayMs > 0) {
            const t = setTimeout(() => {
                this._pending.delete(t);
                send();
            }, r.delayMs);
            this._pending.add(t);
        } else {
            send();
        }
    }
}

export async function startReceiver(opts = {}) {
    return new Receiver(opts).start();
}

export { sleep };
