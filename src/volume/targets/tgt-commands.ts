/**
 * The tgtadm command sequences of one export, run one at a time per tgtd (the caller serializes):
 * make a target match what the volume needs (creating or repairing it), remove one, and re-add its
 * LUN. tgtd keeps only what it was told since it started, so every step reads its state first.
 */
import { ISCSITargetHelperCommandFailed } from '../../common/errors.js';
import { freeTid, type TgtTarget } from './tgt-show.js';
import { saidSo, type Tgtadm } from './tgtadm.js';
import type { TargetLogger } from './target.js';

/** tgt-admin's mode page 8 (caching) with the write cache off (`write-cache off`). */
const WRITE_CACHE_OFF = 'mode_page=8:0:18:0x10:0:0xff:0xff:0:0:0xff:0xff:0xff:0xff:0x80:0x14:0:0:0:0:0:0';
/** The LUN of the volume (LUN 0 is tgtd's controller), as Cinder's tgtadm helper. */
export const VOLUME_LUN = 1;

/** LUN 1 of an export. */
export interface LunSpec {
  /** Absolute path of the backing file. */
  readonly path: string;
  /** iscsi_target_flags ('' for none). */
  readonly bsoflags: string;
  readonly writeCache: 'on' | 'off';
}

/** An export as tgtd should have it. */
export interface TargetSpec {
  readonly iqn: string;
  readonly lun: LunSpec;
  readonly chap: { readonly username: string; readonly password: string } | null;
  /** A tid to use when the target must be made and the tid is free (the one provider_location names). */
  readonly preferredTid: number | null;
}

/**
 * Makes tgtd have target `spec.iqn` with LUN 1 on `spec.lun.path`, open to every initiator address
 * (`ALL`: CHAP is the access control) and bound to exactly the CHAP account of `spec` (none when
 * null). An existing target is kept and repaired. Returns its tid.
 */
export async function ensureTarget(t: Tgtadm, spec: TargetSpec, log: TargetLogger): Promise<number> {
  const target = (await findTarget(t, spec.iqn)) ?? (await newTarget(t, spec));
  const tid = String(target.tid);
  const lun = target.luns.find((l) => l.lun === VOLUME_LUN);
  if (lun && lun.backingStore !== spec.lun.path) {
    log.warn(
      { iqn: spec.iqn, tid: target.tid, was: lun.backingStore, path: spec.lun.path },
      'iSCSI target has another backing file: replacing its LUN',
    );
    await deleteLun(t, target.tid);
  }
  if (!lun || lun.backingStore !== spec.lun.path) await addLun(t, target.tid, spec.lun);
  if (!target.acls.includes('ALL'))
    await tolerate(t.exec(['--mode', 'target', '--op', 'bind', '--tid', tid, '--initiator-address', 'ALL']), [
      'this access control rule already exists',
    ]);
  const user = spec.chap?.username;
  for (const other of target.accounts.filter((u) => u !== user))
    await tolerate(t.exec(['--mode', 'account', '--op', 'unbind', '--tid', tid, '--user', other]), [
      "can't find the account",
      "can't find the binding",
    ]);
  if (spec.chap && user !== undefined) {
    // NOTE: accounts are global in tgtd; generated users are per volume, a configured one is shared
    // (and has the same password everywhere), so an existing account of that name is reused.
    if (!(await t.accounts()).includes(user))
      await tolerate(
        t.exec(['--mode', 'account', '--op', 'new', '--user', user, '--password', spec.chap.password]),
        ['this account already exists'],
      );
    if (!target.accounts.includes(user))
      await tolerate(t.exec(['--mode', 'account', '--op', 'bind', '--tid', tid, '--user', user]), [
        'this account already exists',
        'this binding already exists',
      ]);
  }
  return target.tid;
}

/**
 * Removes target `iqn` even with initiators logged in, and the CHAP accounts no other target
 * uses any more. False when there was no such target.
 */
export async function deleteTarget(t: Tgtadm, iqn: string, log: TargetLogger): Promise<boolean> {
  const target = await findTarget(t, iqn);
  if (!target) return false;
  const tid = String(target.tid);
  await tolerate(t.exec(['--mode', 'target', '--op', 'delete', '--force', '--tid', tid]), [
    "can't find the target",
  ]);
  let rest = await t.targets();
  if (rest.some((x) => x.iqn === iqn)) {
    // NOTE: some tgt versions silently ignore --force (Launchpad #1305343); Cinder tries again without.
    log.warn({ iqn, tid: target.tid }, 'Silent failure of target removal detected, retry....');
    await t.exec(['--mode', 'target', '--op', 'delete', '--tid', tid]);
    rest = await t.targets();
  }
  for (const user of target.accounts)
    if (!rest.some((x) => x.accounts.includes(user)))
      await tolerate(t.exec(['--mode', 'account', '--op', 'delete', '--user', user]), [
        "can't find the account",
      ]);
  return true;
}

/**
 * Deletes and re-adds LUN 1 of target `iqn`: tgtd reads a backing file's size only when a LUN is
 * added. False when there is no such target.
 */
export async function readdLun(t: Tgtadm, iqn: string, lun: LunSpec): Promise<boolean> {
  const target = await findTarget(t, iqn);
  if (!target) return false;
  await deleteLun(t, target.tid);
  await addLun(t, target.tid, lun);
  return true;
}

async function findTarget(t: Tgtadm, iqn: string): Promise<TgtTarget | undefined> {
  return (await t.targets()).find((x) => x.iqn === iqn);
}

/** Creates target `spec.iqn` on a free tid (another tool may take one meanwhile: then again). */
async function newTarget(t: Tgtadm, spec: TargetSpec): Promise<TgtTarget> {
  for (let attempt = 1; ; attempt++) {
    const targets = await t.targets();
    const found = targets.find((x) => x.iqn === spec.iqn);
    if (found) return found;
    const preferred = spec.preferredTid;
    const tid =
      preferred !== null && preferred > 0 && !targets.some((x) => x.tid === preferred)
        ? preferred
        : freeTid(targets);
    try {
      await t.exec(['--mode', 'target', '--op', 'new', '--tid', String(tid), '--targetname', spec.iqn]);
    } catch (err) {
      if (attempt < 3 && saidSo(err, 'this target already exists')) continue;
      throw err;
    }
    const made = await findTarget(t, spec.iqn);
    if (made) return made;
    throw new ISCSITargetHelperCommandFailed(
      `tgtadm --op show`,
      null,
      '',
      `target ${spec.iqn} missing after creation`,
    );
  }
}

async function addLun(t: Tgtadm, tid: number, lun: LunSpec): Promise<void> {
  const at = ['--tid', String(tid), '--lun', String(VOLUME_LUN)];
  await t.exec([
    ...['--mode', 'logicalunit', '--op', 'new', ...at, '--backing-store', lun.path],
    ...(lun.bsoflags ? ['--bsoflags', lun.bsoflags] : []),
  ]);
  // NOTE: lets an initiator's UNMAP punch holes into the sparse file (Cinder: thin_provisioning=1).
  await t.exec(['--mode', 'logicalunit', '--op', 'update', ...at, '--params', 'thin_provisioning=1']);
  if (lun.writeCache === 'off')
    await t.exec(['--mode', 'logicalunit', '--op', 'update', ...at, '--params', WRITE_CACHE_OFF]);
}

async function deleteLun(t: Tgtadm, tid: number): Promise<void> {
  await tolerate(
    t.exec(['--mode', 'logicalunit', '--op', 'delete', '--tid', String(tid), '--lun', String(VOLUME_LUN)]),
    ["can't find the logical unit"],
  );
}

/** Awaits a tgtadm call, treating the listed refusals as success (the state is already so). */
async function tolerate(call: Promise<string>, refusals: readonly string[]): Promise<void> {
  try {
    await call;
  } catch (err) {
    if (!refusals.some((r) => saidSo(err, r))) throw err;
  }
}
