/** Variables whose values may carry credentials (a URL's password, an `api_key` in its query). */
export const SECRET_URL_VARIABLES: ReadonlySet<string> = new Set(['REDIS_URL', 'FEED_URL', 'FEED_BASE_URL', 'OTEL_EXPORTER_OTLP_ENDPOINT']);

/** Variables that are nothing but a secret: their value is never printed at all. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set(['FEED_API_KEY']);

const SECRET_QUERY_NAMES = 'api[_-]?key|key|token|access[_-]?token|secret|password|pass|auth|signature|sig';
const SECRET_QUERY = new RegExp(`^(${SECRET_QUERY_NAMES})$`, 'i');
const URL_USERINFO_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;
const SECRET_QUERY_IN_TEXT = new RegExp(`([?&](?:${SECRET_QUERY_NAMES})=)[^&#\\s]*`, 'gi');

/**
 * `text` (an error message from a library) with the credentials of every URL in it masked:
 * `scheme://user:password@` becomes `scheme://***@`, credential-looking query values `***`.
 * undici, for one, names the whole URL when it refuses one with credentials.
 */
export function redactUrlsInText(text: string): string {
  return text.replace(URL_USERINFO_IN_TEXT, '$1***@').replace(SECRET_QUERY_IN_TEXT, '$1***');
}

/**
 * A value as it may be printed: `***` for a secret (FEED_API_KEY); for a URL-valued variable, its password and the values of
 * credential-looking query parameters become `***`. A value that does not parse as a URL is
 * kept only up to its scheme and host-looking prefix, since a malformed URL may still hold
 * `user:password@` (the case that printed a Redis password).
 */
export function redactValue(name: string, value: string): string {
  if (SECRET_VARIABLES.has(name)) return '***';
  if (!SECRET_URL_VARIABLES.has(name)) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value.replace(/\/\/[^/@]*@/, '//***@').replace(/([?&][^=&#]*=)[^&#]*/g, '$1***');
  }
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) if (SECRET_QUERY.test(key)) url.searchParams.set(key, '***');
  return url.toString().replace(/%2A%2A%2A/g, '***');
}
