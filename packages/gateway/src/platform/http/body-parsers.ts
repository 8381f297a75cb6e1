import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

/**
 * application/x-www-form-urlencoded bodies (HTML forms, and some seed systems' clients) become plain
 * objects; a key given twice becomes an array. JSON is Fastify's own parser.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    try {
      const out: Record<string, string | string[]> = {};
      for (const [key, value] of new URLSearchParams(body as string)) {
        const prev = out[key];
        if (prev === undefined) out[key] = value;
        else out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
      done(null, out);
    } catch {
      done(new AppError('invalid_body', 'The form body could not be parsed.'), undefined);
    }
  });
}
