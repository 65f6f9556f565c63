/**
 * Quota set update body, after Cinder Zed's `cinder/api/schemas/quotas.py`. The per-key checks
 * live in the `quota_set` format (see `src/api/validation/formats.ts`): unknown keys give
 * `Invalid input received: Bad key(s) in quota set: …` (needs `context.quotaKeys`), values must
 * be integers (or integer strings) from -1 to 2147483647 (`<key> must be >= -1`, …).
 */

/** `PUT /os-quota-sets/{project_id}`: `{quota_set: {<resource>: <limit>, …}}`, ≥1 key. */
export const updateQuotaSet = {
  type: 'object',
  properties: {
    quota_set: { type: 'object', minProperties: 1, format: 'quota_set' },
  },
  required: ['quota_set'],
  additionalProperties: false,
} as const;

/**
 * An {@link updateQuotaSet} body. The `quota_set` format lets a resource's limit be an integer
 * or an integer string, and leaves the values of `tenant_id` and `id` unchecked.
 */
export interface UpdateQuotaSetBody {
  quota_set: Record<string, unknown>;
}
