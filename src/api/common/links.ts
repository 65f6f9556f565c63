/** Where a request came in, for building `links` like Cinder's ViewBuilder. */
export interface LinkBase {
  /** `http://host:port` as the client addressed us. */
  baseUrl: string;
  /** Project id segment, when the URL carried one. */
  urlProject: string | null;
}

/** `self` and `bookmark` links of one resource. */
export function resourceLinks(
  base: LinkBase,
  collection: string,
  id: string,
): { rel: string; href: string }[] {
  const p = base.urlProject ? `/${base.urlProject}` : '';
  return [
    { rel: 'self', href: `${base.baseUrl}/v3${p}/${collection}/${id}` },
    { rel: 'bookmark', href: `${base.baseUrl}${p}/${collection}/${id}` },
  ];
}
