// Host names to numeric addresses, asynchronously (the addon only takes IPs).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SrtError, messageOf } from './errors.js';

export async function resolveHost(host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  try {
    const { address } = await lookup(host);
    return address;
  } catch (error) {
    throw new SrtError('SRT_INVALID_ARGUMENT', `cannot resolve host ${host}: ${messageOf(error)}`, { cause: error });
  }
}
