/*
 * tests/e2e/lib/tls.mjs - HTTPS fixtures for delivery tests: throwaway
 * certificates made with the openssl CLI, and an HTTPS receiver.
 *
 *   const pki = await makePki(dir);       // dir/ca.pem, dir/trusted.pem, ...
 *   const rx = await startTlsReceiver(pki.trusted);
 *   rx.url('/hook')                        // https://127.0.0.1:<port>/hook
 *   rx.url('/hook', 'localhost')           // https://localhost:<port>/hook
 *
 * The receiver is lib/receiver.mjs's Receiver (scripts, waitForCount, the
 * request records) over node:https, keep-alive on. It also counts what
 * happens below HTTP: `tcp` (accepted TCP connections), `sessions` (TLS
 * handshakes that completed: socket id, protocol, SNI name, resumed or not;
 * a request's `socket` is the id of its session) and `tlsErrors` (handshakes
 * the client broke off, with the server side's error message).
 *
 * Nothing here listens anywhere but 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';

import { Receiver } from './receiver.mjs';

const run = promisify(execFile);

/* One config for every certificate; each kind is an extensions section. */
const OPENSSL_CNF = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = evbridge e2e
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[trusted]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[mismatch]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[selfsigned]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
`;

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

async function openssl(dir, args) {
    try {
        await run('openssl', args, { cwd: dir, timeout: 20000 });
    } catch (e) {
        throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr || e.message}`);
    }
}

/*
 * Makes, in dir (which must exist):
 *   ca.pem / ca.key            a self-signed CA (CA:TRUE)
 *   trusted.pem / .key         signed by the CA, SAN IP:127.0.0.1, DNS:localhost
 *   mismatch.pem / .key        signed by the CA, SAN DNS:other.example only
 *   selfsigned.pem / .key      self-signed (not by the CA), SAN IP:127.0.0.1, DNS:localhost
 * Returns { dir, caFile, ca, trusted, mismatch, selfsigned } where each server
 * entry is { key, cert } (PEM strings) and ca is the CA's PEM.
 */
export async function makePki(dir) {
    const cnf = path.join(dir, 'openssl.cnf');
    fs.writeFileSync(cnf, OPENSSL_CNF);
    const days = ['-days', '2'];
    await openssl(dir, ['req', '-x509', '-config', cnf, '-extensions', 'ca', ...KEY_ARGS,
        '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=evbridge e2e test CA', ...days]);
    const signed = async (name, cn) => {
        await openssl(dir, ['req', '-new', '-config', cnf, ...KEY_ARGS,
            '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
        await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
            '-set_serial', `0x${crypto.randomBytes(8).toString('hex')}`, ...days,
            '-extfile', cnf, '-extensions', name, '-out', `${name}.pem`]);
    };
    await Promise.all([
        signed('trusted', '127.0.0.1'),
        signed('mismatch', 'other.example'),
        openssl(dir, ['req', '-x509', '-config', cnf, '-extensions', 'selfsigned', ...KEY_ARGS,
            '-keyout', 'selfsigned.key', '-out', 'selfsigned.pem', '-subj', '/CN=127.0.0.1', ...days]),
    ]);
    const read = (f) => fs.readFileSync(path.join(dir, f), 'utf8');
    const pair = (name) => ({ name, key: read(`${name}.key`), cert: read(`${name}.pem`) });
    return {
        dir,
        caFile: path.join(dir, 'ca.pem'),
        ca: read('ca.pem'),
        trusted: pair('trusted'),
        mismatch: pair('mismatch'),
        selfsigned: pair('selfsigned'),
    };
}

/* A Receiver over HTTPS with { key, cert }; see the file comment. */
export class TlsReceiver extends Receiver {
    constructor({ key, cert, name = 'tls' }, opts = {}) {
        super(opts);
        this.name = name;
        this.tcp = 0;
        this.sessions = [];
        this.tlsErrors = [];
        /* replaces the plain HTTP server Receiver made (never started) */
        this._server = https.createServer({ key, cert }, (req, res) => this._onRequest(req, res));
        this._server.keepAliveTimeout = 60000;
        this._server.headersTimeout = 65000;
        this._server.requestTimeout = 0;
        this._server.on('connection', (s) => {
            this.tcp++;
            this._sockets.add(s);
            s.on('close', () => this._sockets.delete(s));
            s.on('error', () => {});
        });
        this._server.on('secureConnection', (s) => {
            const id = this._nextSocketId++;
            this._socketIds.set(s, id);
            this._sockets.add(s);
            s.on('close', () => this._sockets.delete(s));
            s.on('error', () => {});
            this.sessions.push({
                socket: id,
                protocol: s.getProtocol(),
                servername: s.servername || null,
                resumed: s.isSessionReused(),
            });
        });
        this._server.on('tlsClientError', (err, s) => {
            this.tlsErrors.push(err.message);
            s.destroy();
        });
        this._server.on('clientError', (err, s) => {
            s.destroy();
        });
        this.setDefault({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' });
    }

    async start() {
        await super.start();
        this.origin = `https://127.0.0.1:${this.port}`;
        return this;
    }

    /* https://<host>:<port><p>, host 127.0.0.1 unless given */
    url(p = '/', host = '127.0.0.1') {
        return `https://${host}:${this.port}${p}`;
    }

    /* The TLS session a request came over. */
    session(req) {
        return this.sessions.find((s) => s.socket === req.socket);
    }
}

export async function startTlsReceiver(pair, opts = {}) {
    return new TlsReceiver(pair, opts).start();
}
