// A real OpenID provider (panva's certified oidc-provider) standing in for Kasai city's
// My Number card login, for Tanbo's tests. Started by tests/oidc.py:
//
//     node provider.mjs CONFIG.json
//
// CONFIG.json:
//   port            0 for any free port (a restart passes the port it had, so the issuer stays)
//   clients         [{client_id, client_secret?, redirect_uris, id_token_signed_response_alg?}]
//   jwks_path       private JWK set the provider signs with (a restart may point at a rotated set)
//   published_jwks_path  optional: the set served at /jwks instead of the signing set's public
//                   keys, to play a provider whose tokens are signed by a key it does not publish
//   accounts_path   optional: accounts (default accounts.json beside this file)
//   ready_path      written once listening: {"issuer", "port"}
//
// oidc-provider 8.x: the line that supports Node 18, 20 and 22 (9.x wants Node 22 or later).
// Sessions, codes and grants live in memory (its development adapter): a restart forgets them.
//
// Interactions are plain HTML forms a program can fill in: GET /interaction/:uid shows a form
// with id "login" (fields login, pin) or the consent forms "consent" (repeatable field
// "withhold" for claims the user keeps back) and "deny".
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider from 'oidc-provider';

const here = dirname(fileURLToPath(import.meta.url));
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = JSON.parse(readFileSync(config.accounts_path ?? join(here, 'accounts.json'), 'utf8'));
const signingKeys = JSON.parse(readFileSync(config.jwks_path, 'utf8'));
const publishedKeys = config.published_jwks_path
  ? JSON.parse(readFileSync(config.published_jwks_path, 'utf8'))
  : undefined;

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function publicJwks(jwks) {
  const privateMembers = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);
  return {
    keys: jwks.keys.map((key) => Object.fromEntries(
      Object.entries(key).filter(([name]) => !privateMembers.has(name)),
    )),
  };
}

// OpenID Connect for Identity Assurance: the verified_claims element, holding only the
// sub-claims the client asked for in the claims parameter and the user did not withhold.
function verifiedClaims(account, requested, rejected) {
  if (!account.verified_claims) return undefined;
  const wanted = requested?.verified_claims?.claims;
  const claims = Object.fromEntries(
    Object.entries(account.verified_claims.claims)
      .filter(([name]) => !rejected.includes(name))
      .filter(([name]) => wanted === undefined || wanted === null || name in wanted),
  );
  if (Object.keys(claims).length === 0) return undefined;
  return { verification: account.verified_claims.verification, claims };
}

const configuration = {
  clients: config.clients.map((client) => ({
    client_id: client.client_id,
    ...(client.client_secret
      ? { client_secret: client.client_secret, token_endpoint_auth_method: 'client_secret_basic' }
      : { token_endpoint_auth_method: 'none' }),
    redirect_uris: client.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: client.id_token_signed_response_alg ?? 'RS256',
  })),
  jwks: signingKeys,
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims(use, scope, requested, rejected) {
        const claims = { sub: id, ...account.claims };
        const verified = verifiedClaims(account, requested, rejected);
        if (verified) claims.verified_claims = verified;
        return claims;
      },
    };
  },
  claims: {
    openid: ['sub'],
    profile: ['name', 'family_name', 'given_name', 'birthdate', 'locale', 'updated_at'],
    address: ['address'],
    email: ['email', 'email_verified'],
    verified_claims: null,
  },
  discovery: {
    verified_claims_supported: true,
    trust_frameworks_supported: ['jp_jpki'],
    evidence_supported: ['document'],
    documents_supported: ['jp_individual_number_card'],
    claims_in_verified_claims_supported: ['name', 'address', 'birthdate'],
  },
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    revocation: { enabled: true },
  },
  // HS256 only so that a test can show Tanbo refusing ID tokens keyed with the client secret.
  enabledJWA: { idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA', 'HS256'] },
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  routes: { jwks: '/jwks' },
  cookies: { keys: ['tanbo-test-provider-cookie-key'] },
  ttl: {
    AccessToken: 3600, AuthorizationCode: 60, Grant: 3600, IdToken: 3600, Interaction: 600, Session: 3600,
  },
  async renderError(ctx, out) {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = Object.entries(out).map(([key, value]) => `${key}: ${value}`).join('\n');
  },
};

function page(title, body) {
  return `<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>${escape(title)}</title>`
    + `</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function loginPage(uid, message = '') {
  return page('マイナンバーカードでログイン', `${message ? `<p class="error">${escape(message)}</p>` : ''}
<form id="login" method="post" action="/interaction/${uid}/login">
  <label>利用者 <input name="login" autocomplete="username"></label>
  <label>暗証番号 <input name="pin" type="password" inputmode="numeric"></label>
  <button type="submit">ログイン</button>
</form>`);
}

function consentPage(uid, client, details) {
  const scopes = details.missingOIDCScope ?? [];
  const claims = details.missingOIDCClaims ?? [];
  return page(`${client.clientId} への情報提供`, `<ul>
  ${scopes.map((scope) => `<li>scope: ${escape(scope)}</li>`).join('')}
  ${claims.map((claim) => `<li>claim: ${escape(claim)}</li>`).join('')}
</ul>
<form id="consent" method="post" action="/interaction/${uid}/confirm">
  <button type="submit">同意する</button>
</form>
<form id="deny" method="post" action="/interaction/${uid}/abort">
  <button type="submit">同意しない</button>
</form>`);
}

async function interaction(provider, req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, page('Error', '<p>interaction mismatch</p>'));
    return;
  }
  const { prompt, params, session } = details;
  if (req.method === 'GET' && action === undefined) {
    if (prompt.name === 'login') {
      send(res, 200, loginPage(uid));
    } else {
      const client = await provider.Client.find(params.client_id);
      send(res, 200, consentPage(uid, client, prompt.details));
    }
    return;
  }
  if (req.method !== 'POST') {
    send(res, 405, page('Error', '<p>method not allowed</p>'));
    return;
  }
  const form = await readForm(req);
  if (action === 'login' && prompt.name === 'login') {
    const login = form.get('login') ?? '';
    const account = accounts[login];
    if (!account || account.pin !== form.get('pin')) {
      send(res, 401, loginPage(uid, '利用者または暗証番号が違います'));
      return;
    }
    await provider.interactionFinished(req, res, {
      login: { accountId: login, amr: ['sc', 'pin'] },
    }, { mergeWithLastSubmission: false });
  } else if (action === 'confirm' && prompt.name === 'consent') {
    const withheld = form.getAll('withhold');
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) {
      grant.addOIDCClaims(prompt.details.missingOIDCClaims.filter((c) => !withheld.includes(c)));
    }
    if (withheld.length) grant.rejectOIDCClaims(withheld);
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, {
      mergeWithLastSubmission: true,
    });
  } else if (action === 'abort') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'the user did not consent',
    }, { mergeWithLastSubmission: false });
  } else {
    send(res, 400, page('Error', `<p>${escape(action)} does not fit prompt ${escape(prompt.name)}</p>`));
  }
}

const server = createServer();
await new Promise((resolve) => { server.listen(config.port ?? 0, '127.0.0.1', resolve); });
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, configuration);
const handle = provider.callback();

server.on('request', (req, res) => {
  const url = new URL(req.url, issuer);
  const match = url.pathname.match(/^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/);
  let work;
  if (match) {
    work = interaction(provider, req, res, match[1], match[2]);
  } else if (publishedKeys && url.pathname === '/jwks') {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json; charset=utf-8' });
    res.end(JSON.stringify(publicJwks(publishedKeys)));
    return;
  } else {
    handle(req, res);
    return;
  }
  work.catch((error) => {
    if (!res.headersSent) send(res, 500, page('Error', `<pre>${escape(error.stack)}</pre>`));
    else res.end();
  });
});

const ready = `${config.ready_path}.tmp`;
writeFileSync(ready, JSON.stringify({ issuer, port }));
renameSync(ready, config.ready_path);

// Nothing to flush: the provider keeps sessions and grants in memory, so stop at once.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
