/** Tokens from a Keystone, for the keystone-mode benchmarks (`bench/run-keystone.sh`). */

/** A project-scoped token and the id of its project. */
export interface IssuedToken {
  token: string;
  projectId: string;
}

/** A new token of `user` (password auth, domain Default) scoped to project `project` (a name). */
export async function issueToken(
  keystone: string,
  user: string,
  project: string,
  password: string,
): Promise<IssuedToken> {
  const res = await fetch(`${keystone}/v3/auth/tokens?nocatalog`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: user, domain: { name: 'Default' }, password } },
        },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    }),
  });
  const token = res.headers.get('x-subject-token');
  const body = (await res.json()) as { token?: { project?: { id?: string } } };
  const projectId = body.token?.project?.id;
  if (res.status !== 201 || !token || !projectId) throw new Error(`Keystone answered ${res.status}`);
  return { token, projectId };
}
