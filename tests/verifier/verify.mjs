// An independent verifier for the portal's credentials, run by the Python tests.
//
//   node verify.mjs --credential FILE [--credential FILE ...] [--document URL=FILE ...]
//                   [--now ISO-DATE-TIME]
//
// Verifies each credential (an OpenBadgeCredential, a ClrCredential with its embedded
// credentials, or a BitstringStatusListCredential) with Digital Bazaar's libraries and
// prints one JSON verdict per credential, one per line, in order:
//
//   {"verified": bool, "error": string|null, "revoked": bool|null, "embedded": [verdict...]}
//
// `revoked` is the credential's revocation bit from its status list (null without a status
// entry). The document loader serves only the files given with --document (contexts, the
// issuer's profile, which is the keys' controller document, each key's Multikey document,
// status lists) and fails for any other URL: nothing is fetched from the network.

import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import * as vc from '@digitalbazaar/vc';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function parseCommandLine() {
  const {values} = parseArgs({
    options: {
      credential: {type: 'string', multiple: true, default: []},
      document: {type: 'string', multiple: true, default: []},
      now: {type: 'string'},
    },
  });
  if(values.credential.length === 0) {
    throw new Error('--credential FILE is required');
  }
  const documents = new Map();
  for(const pair of values.document) {
    const split = pair.lastIndexOf('=');
    if(split < 1) {
      throw new Error(`--document takes URL=FILE, not ${pair}`);
    }
    documents.set(pair.slice(0, split), readJson(pair.slice(split + 1)));
  }
  return {credentials: values.credential.map(readJson), documents, now: values.now};
}

function localDocumentLoader(documents) {
  return async url => {
    const document = documents.get(url);
    if(!document) {
      throw new Error(`document not given to the verifier: ${url}`);
    }
    return {contextUrl: null, documentUrl: url, document: structuredClone(document)};
  };
}

function firstError(result) {
  const error = result.error ||
    result.results?.find(entry => entry.error)?.error ||
    result.statusResult?.error;
  if(!error) {
    return 'not verified';
  }
  const inner = error.errors?.[0] || error.cause;
  return inner ? `${error.message}: ${inner.message}` : error.message || String(error);
}

async function verdictFor(credential, options) {
  const result = await vc.verifyCredential({
    credential,
    suite: new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite}),
    documentLoader: options.documentLoader,
    checkStatus,
    ...(options.now ? {now: options.now} : {}),
  });
  const statuses = result.statusResult?.results || [];
  const revocation = statuses.find(
    entry => entry.credentialStatus?.statusPurpose === 'revocation');
  const embedded = [];
  const nested = credential.credentialSubject?.verifiableCredential || [];
  for(const inner of Array.isArray(nested) ? nested : [nested]) {
    embedded.push({id: inner.id ?? null, ...await verdictFor(inner, options)});
  }
  const verified = result.verified === true &&
    embedded.every(entry => entry.verified);
  return {
    verified,
    error: result.verified ? (verified ? null : 'an embedded credential is not verified') :
      firstError(result),
    revoked: revocation ? revocation.status === true : null,
    embedded,
  };
}

const {credentials, documents, now} = parseCommandLine();
const options = {documentLoader: localDocumentLoader(documents), now};
for(const credential of credentials) {
  const verdict = await verdictFor(credential, options);
  process.stdout.write(JSON.stringify(verdict) + '\n');
}
