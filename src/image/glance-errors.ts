/**
 * Glance's refusals as Cinder's errors: the message of an error answer as glanceclient extracts it
 * (`from_response`), and Cinder's `_translate_image_exception` / `_translate_plain_exception`.
 */
import {
  type CinderError,
  GlanceRequestFailed,
  ImageLimitExceeded,
  ImageNotAuthorized,
  ImageNotFound,
  Invalid,
  NotAuthorized,
  NotFound,
} from '../common/errors.js';

/**
 * The details of an error answer, as glanceclient's `from_response`: the `message`s of a JSON
 * body; the text lines of an HTML body without tags, duplicates dropped, joined by `: `
 * (`404 Not Found: No image found with ID …`); a text body as is.
 */
export function errorDetails(contentType: string | undefined, body: string, status: number): string {
  const type = contentType ?? '';
  if (body && type.includes('json')) {
    try {
      const parsed = JSON.parse(body) as unknown;
      if (parsed && typeof parsed === 'object') {
        const messages = Object.values(parsed as Record<string, unknown>)
          .map((v) => (v && typeof v === 'object' ? (v as { message?: unknown }).message : undefined))
          .filter((m): m is string => typeof m === 'string');
        if (messages.length) return messages.join('\n');
        const top = (parsed as { message?: unknown }).message;
        if (typeof top === 'string') return top.replace(/<br \/>/g, ' ').trim();
      }
    } catch {
      // not JSON after all: fall through to the text
    }
  }
  if (body && type.includes('html')) {
    const lines = body
      .split(/\r?\n/)
      .map((l) => l.trim().replace(/<.+?>/g, ''))
      .filter((l) => l);
    return [...new Set(lines)].join(': ');
  }
  if (body) return body.replace(/\n\n/g, '\n').trim();
  return `${status}`;
}

/** An error about one image (Cinder's `_translate_image_exception`, plus 413 as `call` does). */
export function imageError(imageId: string, status: number, details: string): CinderError {
  if (status === 401 || status === 403) return new ImageNotAuthorized(imageId);
  if (status === 404) return new ImageNotFound(imageId);
  if (status === 400) return new Invalid(`HTTP ${details}`);
  if (status === 413) return new ImageLimitExceeded();
  return new GlanceRequestFailed(status, details);
}

/** An error of a call about no one image: list, create (Cinder's `_translate_plain_exception`). */
export function plainError(status: number, details: string): CinderError {
  if (status === 401 || status === 403) return new NotAuthorized(`HTTP ${details}`);
  if (status === 404) return new NotFound(`HTTP ${details}`);
  if (status === 400) return new Invalid(`HTTP ${details}`);
  if (status === 413) return new ImageLimitExceeded();
  return new GlanceRequestFailed(status, details);
}
