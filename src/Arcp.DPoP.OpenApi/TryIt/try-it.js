// The DPoP try-it page (Arcp.DPoP.OpenApi, served in Development only).
// A key made here with WebCrypto, not extractable: the private key never exists outside the browser's key store and
// is gone with the page. Every request gets its own proof (RFC 9449 §4.2). Everything is sent to this page's own
// origin only: URLs are built from location.origin and a path, and the page's Content-Security-Policy
// (connect-src 'self') refuses anything else.
'use strict';

(() => {
  const state = {
    config: null,       // { openApiDocument, tokenEndpoint }: from config.json, the one place the server says where they are
    key: null,          // { alg, privateKey, jwk, jkt }
    token: null,        // { value, jkt, claims }: jkt is the key the token is bound to (cnf.jkt)
    nonces: new Map(),  // the last DPoP-Nonce per server role ('token', 'api'), RFC 9449 §8
  };

  const $ = (id) => document.getElementById(id);
  const encoder = new TextEncoder();

  // ---- base64url and JSON (RFC 7515 §2: no padding) ----

  function base64Url(bytes) {
    let binary = '';
    for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function fromBase64Url(text) {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  }

  const base64UrlJson = (value) => base64Url(encoder.encode(JSON.stringify(value)));
  const sha256 = async (text) => new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));

  function decodeJwtPart(jwt, index) {
    try {
      return JSON.parse(new TextDecoder().decode(fromBase64Url(jwt.split('.')[index])));
    } catch {
      return null;
    }
  }

  // ---- same origin only ----

  // The URL of a path on this origin, without query or fragment (what htu names, RFC 9449 §4.2).
  function sameOriginUrl(path) {
    const url = new URL(path, location.origin);
    if (url.origin !== location.origin) {
      throw new Error(`'${path}' is not on this page's origin; the page sends its token and proofs nowhere else.`);
    }
    url.search = '';
    url.hash = '';
    return url;
  }

  // ---- keys (WebCrypto, not extractable) ----

  const algorithms = {
    ES256: {
      generate: { name: 'ECDSA', namedCurve: 'P-256' },
      sign: { name: 'ECDSA', hash: 'SHA-256' }, // WebCrypto's ECDSA signature is r || s, the JWS form (RFC 7518 §3.4)
      publicJwk: (jwk) => ({ kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }),
      thumbprintInput: (jwk) => ({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }), // RFC 7638 §3.2: required members, sorted
    },
    EdDSA: {
      generate: { name: 'Ed25519' },
      sign: { name: 'Ed25519' },
      publicJwk: (jwk) => ({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }),
      thumbprintInput: (jwk) => ({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }), // RFC 8037 §2
    },
  };

  async function supportsEd25519() {
    try {
      await crypto.subtle.generateKey(algorithms.EdDSA.generate, false, ['sign', 'verify']);
      return true;
    } catch {
      return false;
    }
  }

  async function newKey(alg) {
    const spec = algorithms[alg];
    // extractable = false: the private key cannot be exported; the public key always can (it goes in every proof).
    const pair = await crypto.subtle.generateKey(spec.generate, false, ['sign', 'verify']);
    const jwk = spec.publicJwk(await crypto.subtle.exportKey('jwk', pair.publicKey));
    const jkt = base64Url(await sha256(JSON.stringify(spec.thumbprintInput(jwk))));
    return { alg, privateKey: pair.privateKey, jwk, jkt };
  }

  // ---- proofs (RFC 9449 §4.2) ----

  async function makeProof(method, url, token, nonce) {
    const key = state.key;
    const header = { typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk };
    const payload = {
      jti: base64Url(crypto.getRandomValues(new Uint8Array(16))),
      htm: method,
      htu: url.origin + url.pathname,
      iat: Math.floor(Date.now() / 1000),
    };
    if (token) payload.ath = base64Url(await sha256(token)); // §4.2: the hash of the access token, ASCII
    if (nonce) payload.nonce = nonce;
    const signingInput = `${base64UrlJson(header)}.${base64UrlJson(payload)}`;
    const signature = await crypto.subtle.sign(algorithms[key.alg].sign, key.privateKey, encoder.encode(signingInput));
    return { jwt: `${signingInput}.${base64Url(signature)}`, header, payload };
  }

  // Sends a request to target (url plus its query) with a fresh proof for url; on use_dpop_nonce (§8: a 401 from the
  // API, a 400 from the token endpoint) keeps the server's DPoP-Nonce and sends once more with a new proof carrying it.
  async function sendWithProof(role, method, url, init, token, target = url) {
    let retried = false;
    for (;;) {
      const proof = await makeProof(method, url, token, state.nonces.get(role));
      const headers = new Headers(init.headers || {});
      headers.set('DPoP', proof.jwt);
      if (token) headers.set('Authorization', `DPoP ${token}`);
      const response = await fetch(target, {
        ...init, method, headers, credentials: 'same-origin', redirect: 'manual', cache: 'no-store', referrerPolicy: 'no-referrer',
      });
      const nonce = response.headers.get('DPoP-Nonce');
      if (nonce) state.nonces.set(role, nonce);
      const body = await response.text();
      if (!retried && nonce && (await asksForNonce(response, body))) {
        retried = true;
        continue;
      }
      return { response, body, proof, retried };
    }
  }

  async function asksForNonce(response, body) {
    const challenge = response.headers.get('WWW-Authenticate') || '';
    if (response.status === 401 && /error="?use_dpop_nonce"?/.test(challenge)) return true;
    if (response.status === 400) {
      try {
        return JSON.parse(body).error === 'use_dpop_nonce';
      } catch {
        return false;
      }
    }
    return false;
  }

  // ---- showing a response ----

  // The answer is shown under what was clicked (the token step, or the operation's card).
  function placeResult(anchor) {
    const section = $('result-section');
    if (anchor && section.parentNode !== anchor) anchor.append(section);
    section.hidden = false;
    return section;
  }

  function show(requestLine, result, anchor) {
    const { response, body, proof, retried } = result;
    const section = placeResult(anchor);
    section.dataset.count = String(Number(section.dataset.count || '0') + 1); // lets a test (or a person) tell answers apart
    $('result-request').textContent = requestLine + (retried ? ' (retried once with the server\'s nonce)' : '');
    const status = $('result-status');
    status.textContent = `${response.status} ${response.statusText}`;
    status.className = response.ok ? 'status-ok' : 'status-error';
    status.dataset.status = String(response.status);

    const headerLines = [];
    for (const name of ['content-type', 'www-authenticate', 'dpop-nonce', 'location']) {
      const value = response.headers.get(name);
      if (value !== null) headerLines.push(`${name}: ${value}`);
    }
    $('result-headers').textContent = headerLines.join('\n');

    let parsed = null;
    try {
      parsed = body ? JSON.parse(body) : null;
    } catch {
      parsed = null;
    }
    $('result-body').textContent = parsed === null ? body : JSON.stringify(parsed, null, 2);

    // RFC 9457: a problem document says what failed; show its title, type and detail first.
    const isProblem = (response.headers.get('content-type') || '').startsWith('application/problem+json');
    const problem = $('result-problem');
    problem.hidden = !(isProblem && parsed && typeof parsed === 'object');
    if (!problem.hidden) {
      $('result-problem-title').textContent = parsed.title || '(no title)';
      $('result-problem-type').textContent = parsed.type || '';
      $('result-problem-detail').textContent = parsed.detail || '';
    } else {
      $('result-problem-title').textContent = '';
      $('result-problem-type').textContent = '';
      $('result-problem-detail').textContent = '';
    }
    $('result-proof').textContent = proof
      ? `${JSON.stringify(proof.header, null, 2)}\n${JSON.stringify(proof.payload, null, 2)}`
      : '(none: this operation does not use DPoP)';
  }

  function showError(requestLine, error, anchor) {
    const section = placeResult(anchor);
    section.dataset.count = String(Number(section.dataset.count || '0') + 1);
    $('result-request').textContent = requestLine;
    const status = $('result-status');
    status.textContent = `Not sent: ${error.message}`;
    status.className = 'status-error';
    status.dataset.status = 'error';
    $('result-problem').hidden = true;
    $('result-headers').textContent = '';
    $('result-body').textContent = '';
    $('result-proof').textContent = '';
  }

  // ---- key and token ----

  async function getKey(rotating) {
    const alg = $('algorithm').value;
    state.key = await newKey(alg);
    $('key-jkt').textContent = state.key.jkt;
    $('key-jkt').dataset.alg = alg;
    $('rotate-key').disabled = false;
    $('get-token').disabled = false;
    $('key-note').textContent = rotating && state.token
      ? 'New key; the token is still bound to the old one, so the API will refuse it (dpop-binding-mismatch). Get a token for this key.'
      : `A new ${alg} key; proofs are signed ${alg}.`;
    renderTokenStatus();
  }

  async function getToken() {
    const url = sameOriginUrl(state.config.tokenEndpoint);
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    const agentId = $('agent-id').value.trim();
    if (agentId) form.set('client_id', agentId); // RFC 6749 §2.3.1; the development issuer makes it the token's sub
    const requestLine = `POST ${url.pathname}`;
    try {
      const result = await sendWithProof('token', 'POST', url, { body: form }, null);
      show(requestLine, result, $('token-section'));
      if (!result.response.ok) return;
      const json = JSON.parse(result.body);
      const claims = decodeJwtPart(json.access_token, 1) || {};
      state.token = { value: json.access_token, jkt: claims.cnf && claims.cnf.jkt, claims };
      renderTokenStatus();
    } catch (error) {
      showError(requestLine, error, $('token-section'));
    }
  }

  function renderTokenStatus() {
    const status = $('token-status');
    const claims = $('token-claims');
    if (!state.token) {
      status.textContent = 'none yet';
      status.dataset.bound = 'none';
      claims.hidden = true;
      return;
    }
    const boundHere = state.key && state.token.jkt === state.key.jkt;
    status.textContent = boundHere
      ? 'bound to this key (cnf.jkt = the key\'s thumbprint)'
      : `bound to another key (cnf.jkt = ${state.token.jkt || 'none'})`;
    status.dataset.bound = boundHere ? 'this-key' : 'other-key';
    const { sub, scope, scopes, role, exp, cnf } = state.token.claims;
    claims.textContent = JSON.stringify({ sub, scope, scopes, role, cnf, exp: exp && new Date(exp * 1000).toISOString() }, null, 2);
    claims.hidden = false;
  }

  // ---- the OpenAPI document ----

  const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

  // The security schemes that are DPoP: HTTP scheme "DPoP" (what AddDPoPSecurityScheme declares).
  function dpopSchemeNames(document) {
    const schemes = (document.components && document.components.securitySchemes) || {};
    return new Set(Object.keys(schemes).filter((name) => {
      const scheme = schemes[name];
      return scheme && scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'dpop';
    }));
  }

  function usesDPoP(operation, document, dpopSchemes) {
    const requirements = operation.security || document.security || [];
    return requirements.some((requirement) => Object.keys(requirement).some((name) => dpopSchemes.has(name)));
  }

  function element(tag, properties, children) {
    const node = document.createElement(tag);
    Object.assign(node, properties || {});
    for (const child of children || []) node.append(child);
    return node;
  }

  function isTokenEndpoint(path) {
    try {
      return sameOriginUrl(path).pathname === sameOriginUrl(state.config.tokenEndpoint).pathname;
    } catch {
      return false;
    }
  }

  // The document's paths are relative to its first server (OpenAPI 3 §4.8.1: an app's PathBase is there). Only its
  // path is used, and only when it is on this origin: the page calls nothing else.
  function basePath(apiDocument) {
    const server = (apiDocument.servers || [])[0];
    if (!server || typeof server.url !== 'string' || server.url.includes('{')) return '';
    try {
      const url = new URL(server.url, location.href);
      return url.origin === location.origin ? url.pathname.replace(/\/+$/, '') : '';
    } catch {
      return '';
    }
  }

  function renderOperations(apiDocument) {
    const dpopSchemes = dpopSchemeNames(apiDocument);
    const base = basePath(apiDocument);
    const container = $('operations');
    container.replaceChildren();
    let count = 0;
    for (const [path, item] of Object.entries(apiDocument.paths || {})) {
      for (const method of methods) {
        const operation = item[method];
        if (!operation || isTokenEndpoint(base + path)) continue; // step 2 calls it, with a proof and no token
        count += 1;
        container.append(renderOperation(method.toUpperCase(), path, base, operation, [...(item.parameters || []), ...(operation.parameters || [])],
          usesDPoP(operation, apiDocument, dpopSchemes)));
      }
    }
    $('document-status').textContent = `${count} operations in ${state.config.openApiDocument}; the ones marked DPoP are sent with the token and a proof.`;
  }

  function renderOperation(method, path, base, operation, parameters, dpop) {
    const card = element('div', { className: 'operation' });
    card.dataset.method = method;
    card.dataset.path = path;
    card.dataset.dpop = String(dpop);
    const title = element('p', {}, [
      element('span', { className: 'method', textContent: method }), ' ',
      element('code', { textContent: path }), ' ',
    ]);
    if (dpop) title.append(element('span', { className: 'badge', textContent: 'DPoP' }), ' ');
    if (operation.summary) title.append(element('span', { textContent: operation.summary }));
    card.append(title);

    // Path and query parameters; the DPoP and Authorization headers are the page's to fill.
    const inputs = [];
    for (const parameter of parameters) {
      if (!parameter || (parameter.in !== 'path' && parameter.in !== 'query')) continue;
      const input = element('input', { autocomplete: 'off', spellcheck: false });
      input.dataset.name = parameter.name;
      input.dataset.in = parameter.in;
      card.append(element('label', {}, [`${parameter.in} ${parameter.name}${parameter.required ? ' (required)' : ''} `, input]));
      inputs.push(input);
    }
    const jsonBody = operation.requestBody && operation.requestBody.content && operation.requestBody.content['application/json'];
    let bodyInput = null;
    if (jsonBody) {
      bodyInput = element('textarea', { spellcheck: false, value: '{}' });
      card.append(element('label', {}, ['JSON body', bodyInput]));
    }

    const send = element('button', { type: 'button', className: 'send', textContent: 'Send' });
    send.addEventListener('click', () => callOperation(method, base, path, inputs, bodyInput, dpop, send, card));
    card.append(element('p', {}, [send]));
    return card;
  }

  async function callOperation(method, base, template, inputs, bodyInput, dpop, button, card) {
    let requestLine = `${method} ${base}${template}`;
    button.disabled = true;
    try {
      let path = base + template;
      const query = new URLSearchParams();
      for (const input of inputs) {
        if (input.dataset.in === 'path') {
          path = path.split(`{${input.dataset.name}}`).join(encodeURIComponent(input.value));
        } else if (input.value !== '') {
          query.append(input.dataset.name, input.value);
        }
      }
      const url = sameOriginUrl(path);
      const target = new URL(url);
      target.search = query.toString();
      requestLine = `${method} ${target.pathname}${target.search}`;
      const init = {};
      if (bodyInput) {
        init.body = bodyInput.value;
        init.headers = { 'Content-Type': 'application/json' };
      }
      if (!dpop) {
        const response = await fetch(target, { ...init, method, credentials: 'same-origin', redirect: 'manual', cache: 'no-store' });
        show(requestLine, { response, body: await response.text(), proof: null, retried: false }, card);
        return;
      }
      if (!state.key) throw new Error('get a key first (step 1)');
      if (!state.token) throw new Error('get a token first (step 2)');
      // htu is the URL without its query (RFC 9449 §4.2); the request goes to the URL with it.
      show(requestLine, await sendWithProof('api', method, url, init, state.token.value, target), card);
    } catch (error) {
      showError(requestLine, error, card);
    } finally {
      button.disabled = false;
    }
  }

  // ---- start ----

  async function start() {
    $('get-key').addEventListener('click', () => getKey(false).catch((error) => showError('key', error, $('key-section'))));
    $('rotate-key').addEventListener('click', () => getKey(true).catch((error) => showError('key', error, $('key-section'))));
    $('get-token').addEventListener('click', () => getToken());

    if (await supportsEd25519()) {
      $('algorithm').append(element('option', { value: 'EdDSA', textContent: 'EdDSA (Ed25519)' }));
    }
    $('algorithm').dataset.ready = 'true';

    try {
      const configResponse = await fetch(sameOriginUrl(new URL('config.json', location.href).pathname), { cache: 'no-store' });
      state.config = await configResponse.json();
      $('token-endpoint').textContent = state.config.tokenEndpoint;
      const documentResponse = await fetch(sameOriginUrl(state.config.openApiDocument), { cache: 'no-store' });
      if (!documentResponse.ok) throw new Error(`${state.config.openApiDocument} answered ${documentResponse.status}`);
      renderOperations(await documentResponse.json());
      $('document-status').dataset.ready = 'true';
    } catch (error) {
      $('document-status').textContent = `Could not load the API description: ${error.message}`;
      $('document-status').dataset.ready = 'error';
    }
  }

  start();
})();
