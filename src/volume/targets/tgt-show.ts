/**
 * Parsers of tgtadm's `--op show` output, which is human text only (no JSON): targets with their
 * LUNs, accounts, ACLs and sessions; the account list; the portals.
 */

/** One LUN of a target (LUN 0 is tgtd's controller). */
export interface TgtLun {
  readonly lun: number;
  readonly type: string;
  /** `Backing store path`; null for `None`. */
  readonly backingStore: string | null;
  /** `Backing store flags` (bsoflags), '' for none. */
  readonly flags: string;
}

/** One target of `tgtadm --mode target --op show`. */
export interface TgtTarget {
  readonly tid: number;
  readonly iqn: string;
  readonly luns: readonly TgtLun[];
  /** Incoming CHAP users bound to it (outgoing ones are left out). */
  readonly accounts: readonly string[];
  /** Initiator addresses/names allowed (`ALL` for any). */
  readonly acls: readonly string[];
  /** Logged-in initiators (I_T nexus count). */
  readonly sessions: number;
}

interface MutableTarget {
  tid: number;
  iqn: string;
  luns: { lun: number; type: string; backingStore: string | null; flags: string }[];
  accounts: string[];
  acls: string[];
  sessions: number;
}

type Block = 'system' | 'nexus' | 'lun' | 'account' | 'acl' | null;

/** The targets of `tgtadm --lld L --mode target --op show`. */
export function parseTargets(text: string): TgtTarget[] {
  const targets: MutableTarget[] = [];
  let t: MutableTarget | undefined;
  let block: Block = null;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const head = /^Target (\d+): (\S+)$/.exec(line);
    if (head) {
      t = { tid: Number(head[1]), iqn: head[2] ?? '', luns: [], accounts: [], acls: [], sessions: 0 };
      targets.push(t);
      block = null;
      continue;
    }
    if (!t) continue;
    const body = line.trim();
    const indent = line.length - line.trimStart().length;
    if (indent === 4) {
      block = BLOCKS[body] ?? null;
      continue;
    }
    switch (block) {
      case 'nexus':
        if (/^I_T nexus: \d+$/.test(body)) t.sessions++;
        break;
      case 'lun': {
        const lun = /^LUN: (\d+)$/.exec(body);
        if (lun) t.luns.push({ lun: Number(lun[1]), type: '', backingStore: null, flags: '' });
        const last = t.luns.at(-1);
        if (!last) break;
        const field = /^([^:]+):\s?(.*)$/.exec(body);
        if (field?.[1] === 'Type') last.type = field[2] ?? '';
        if (field?.[1] === 'Backing store path')
          last.backingStore = field[2] === 'None' ? null : (field[2] ?? '');
        if (field?.[1] === 'Backing store flags') last.flags = field[2] ?? '';
        break;
      }
      case 'account':
        if (body !== '' && !body.endsWith('(outgoing)')) t.accounts.push(body);
        break;
      case 'acl':
        if (body !== '') t.acls.push(body);
        break;
      default:
        break;
    }
  }
  return targets;
}

const BLOCKS: Readonly<Record<string, Block>> = {
  'System information:': 'system',
  'I_T nexus information:': 'nexus',
  'LUN information:': 'lun',
  'Account information:': 'account',
  'ACL information:': 'acl',
};

/** The users of `tgtadm --mode account --op show` (`Account list:` then one per line). */
export function parseAccounts(text: string): string[] {
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** The `ip:port` of each portal in `tgtadm --mode portal --op show` (`Portal: 127.0.0.1:3260,1`). */
export function parsePortals(text: string): string[] {
  return [...text.matchAll(/^Portal: (\S+),\d+$/gm)].map((m) => m[1] ?? '');
}

/** The smallest target id (>= 1) no target has. */
export function freeTid(targets: readonly { tid: number }[]): number {
  const used = new Set(targets.map((t) => t.tid));
  let tid = 1;
  while (used.has(tid)) tid++;
  return tid;
}
