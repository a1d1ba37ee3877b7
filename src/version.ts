// The server's version, reported by the APIs.
export const VERSION = '0.1.0';
