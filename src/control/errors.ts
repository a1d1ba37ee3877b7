// Errors of the management plane: each carries the HTTP status, a stable numeric code for the JSON body and a
// message that says what went wrong and what to do.

/** An API error: answered as `{"code":code,"message":message}` with HTTP `status`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    /** extra response headers, e.g. Retry-After */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 400, message);
}

export function unauthorized(message: string): ApiError {
  return new ApiError(401, 401, message);
}

export function notFound(message: string, code = 404): ApiError {
  return new ApiError(404, code, message);
}

/** The settings store (Redis) cannot be reached: the API answers 503, media keeps flowing. */
export class StoreUnavailableError extends Error {
  constructor(
    readonly where: string,
    readonly reason: string,
  ) {
    super(`the settings store (Redis at ${where}) is unavailable: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}

/** The control plane cannot start (Redis unreachable, redis-server cannot be launched, ...). */
export class ControlPlaneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ControlPlaneError';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
