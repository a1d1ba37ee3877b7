// HTTPS certificates (SRS Stack's mgmt/auto-self-signed-certificate, mgmt/ssl, mgmt/letsencrypt, mgmt/cert/query):
// the certificate HTTPS_PORT and RTMPS_PORT serve, changed without a restart.
import { ApiError } from '../../../errors.js';
import { HttpsInputError } from '../../../https/manager.js';
import type { ApiDeps } from '../../deps.js';
import type { ApiRoutes } from '../../router.js';
import { empty } from '../../schema.js';
import { letsencryptBody, sslBody } from './schema.js';

async function userErrors<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof HttpsInputError) throw new ApiError(e.status, e.status, e.message);
    throw e;
  }
}

export function registerHttps(r: ApiRoutes, d: ApiDeps): void {
  r.add({
    path: '/terraform/v1/mgmt/auto-self-signed-certificate',
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    summary: 'replace the certificate in use by a new self-signed one (localhost, 127.0.0.1, 10 years); SRS_HTTPS=ssl',
    async handler() {
      await d.https.selfSigned();
      return null;
    },
  });
  r.add({
    path: '/terraform/v1/mgmt/ssl',
    methods: ['GET', 'POST'],
    auth: true,
    schema: sslBody,
    summary: 'use your own key and certificate chain (PEM), checked first (key matches, not expired, chain in order); SRS_HTTPS=ssl',
    handler: ({ body }) => userErrors(async () => {
      await d.https.upload(body.key, body.crt);
      return null;
    }),
  });
  r.add({
    path: '/terraform/v1/mgmt/letsencrypt',
    methods: ['GET', 'POST'],
    auth: true,
    schema: letsencryptBody,
    summary: "get a certificate for the domain from Let's Encrypt (ACME HTTP-01 on port 80), renewed by itself; answers when done; SRS_HTTPS=lets",
    handler: ({ body }) => userErrors(async () => {
      await d.https.letsencrypt(body.domain);
      return null;
    }),
  });
  r.add({
    path: '/terraform/v1/mgmt/cert/query',
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    summary: 'the certificate in use (provider, domain, key, crt, source, domains, issuer, notAfter) and the last Let\'s Encrypt request',
    handler: () => d.https.query(),
  });
}
