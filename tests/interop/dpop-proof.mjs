// Ed25519 DPoP proofs (RFC 9449) made and verified by code nobody in this repository wrote: panva's `jose` and
// `dpop`. Driven by tests/Arcp.DPoP.Client.Tests/InteropTests.cs; prints one JSON object on stdout.
//
//   node dpop-proof.mjs make   --lib jose|dpop --alg EdDSA|Ed25519 --htm POST --htu URL [--token T] [--key PRIVATE_JWK]
//   node dpop-proof.mjs verify --proof JWS --htm POST --htu URL [--token T]
import { createHash, randomBytes } from 'node:crypto';
import * as jose from 'jose';
import * as dpop from 'dpop';

function options(argv) {
  const result = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument ${argv[i]}`);
    result[argv[i].slice(2)] = argv[i + 1];
  }
  return result;
}

const ath = (token) => createHash('sha256').update(token, 'ascii').digest('base64url');

async function keyPair(privateJwk) {
  if (!privateJwk) return jose.generateKeyPair('Ed25519', { extractable: true });
  const jwk = JSON.parse(privateJwk);
  const { d, ...publicJwk } = jwk;
  return {
    privateKey: await jose.importJWK(jwk, 'Ed25519', { extractable: true }),
    publicKey: await jose.importJWK(publicJwk, 'Ed25519', { extractable: true }),
  };
}

async function make(o) {
  const keys = await keyPair(o.key);
  const publicJwk = await jose.exportJWK(keys.publicKey);
  let proof;
  if (o.lib === 'dpop') {
    // The dpop package names Ed25519 proofs by the fully-specified alg, as RFC 9864 recommends.
    proof = await dpop.generateProof(keys, o.htu, o.htm, undefined, o.token);
  } else {
    const claims = { jti: randomBytes(16).toString('base64url'), htm: o.htm, htu: o.htu, iat: Math.floor(Date.now() / 1000) };
    if (o.token) claims.ath = ath(o.token);
    proof = await new jose.SignJWT(claims)
      .setProtectedHeader({ typ: 'dpop+jwt', alg: o.alg, jwk: publicJwk })
      .sign(keys.privateKey);
  }
  return {
    proof,
    alg: jose.decodeProtectedHeader(proof).alg,
    jkt: await jose.calculateJwkThumbprint(publicJwk, 'sha256'),
    key: JSON.stringify(await jose.exportJWK(keys.privateKey)),
  };
}

async function verify(o) {
  const { payload, protectedHeader } = await jose.jwtVerify(o.proof, jose.EmbeddedJWK, {
    typ: 'dpop+jwt',
    algorithms: ['EdDSA', 'Ed25519'],
    maxTokenAge: '60s',
    requiredClaims: ['jti', 'htm', 'htu', 'iat'],
  });
  if (payload.htm !== o.htm) throw new Error(`htm ${payload.htm} is not ${o.htm}`);
  if (payload.htu !== o.htu) throw new Error(`htu ${payload.htu} is not ${o.htu}`);
  if (o.token && payload.ath !== ath(o.token)) throw new Error('ath is not the hash of the token');
  return { alg: protectedHeader.alg, jkt: await jose.calculateJwkThumbprint(protectedHeader.jwk, 'sha256'), payload };
}

const [command, ...rest] = process.argv.slice(2);
try {
  const o = options(rest);
  const result = command === 'make' ? await make(o) : command === 'verify' ? await verify(o) : null;
  if (!result) throw new Error('usage: dpop-proof.mjs make|verify --option value ...');
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (error) {
  process.stderr.write(`${error.code ?? error.name}: ${error.message}\n`);
  process.exitCode = 1;
}
