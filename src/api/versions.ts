import { MAX_VERSION, MIN_VERSION } from './microversion.js';

/** The version document served at `/` (300) and `/v3/` (200), hrefs from the request's host. */
export function versionsDocument(baseUrl: string): Record<string, unknown> {
  return {
    versions: [
      {
        id: 'v3.0',
        status: 'CURRENT',
        version: MAX_VERSION,
        min_version: MIN_VERSION,
        updated: '2022-08-31T00:00:00Z',
        links: [
          { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
          { rel: 'self', href: `${baseUrl}/v3/` },
        ],
        'media-types': [
          { base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' },
        ],
      },
    ],
  };
}
