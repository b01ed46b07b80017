/** Injection token of the security headers every response carries (http/security-headers.ts). */
export const SECURITY_HEADERS = Symbol('SECURITY_HEADERS');
