import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freeTid, parseAccounts, parsePortals, parseTargets } from '../../../src/volume/targets/tgt-show.js';

/** What tgt 1.0.85 printed for two targets: one with a session, CHAP and an ACL; one bare. */
const SHOW = `Target 1: iqn.2010-10.org.openstack:volume-abc
    System information:
        Driver: iscsi
        State: ready
    I_T nexus information:
        I_T nexus: 1
            Initiator: iqn.1994-05.com.redhat:x alias: none
            Connection: 0
                IP Address: 127.0.0.1
    LUN information:
        LUN: 0
            Type: controller
            SCSI ID: IET     00010000
            SCSI SN: beaf10
            Size: 0 MB, Block size: 1
            Online: Yes
            Removable media: No
            Prevent removal: No
            Readonly: No
            SWP: No
            Thin-provisioning: No
            Backing store type: null
            Backing store path: None
            Backing store flags: 
        LUN: 1
            Type: disk
            SCSI ID: IET     00010001
            SCSI SN: beaf11
            Size: 67 MB, Block size: 512
            Online: Yes
            Removable media: No
            Prevent removal: No
            Readonly: No
            SWP: No
            Thin-provisioning: Yes
            Backing store type: rdwr
            Backing store path: /tmp/a b/volume-1
            Backing store flags: direct
    Account information:
        u1
        out1 (outgoing)
    ACL information:
        ALL
Target 3: iqn.2010-10.org.openstack:volume-def
    System information:
        Driver: iscsi
        State: ready
    I_T nexus information:
    LUN information:
        LUN: 0
            Type: controller
            Backing store path: None
    Account information:
    ACL information:
`;

test('targets, their LUNs, incoming accounts, ACLs and sessions are read from the show text', () => {
  assert.deepEqual(parseTargets(SHOW), [
    {
      tid: 1,
      iqn: 'iqn.2010-10.org.openstack:volume-abc',
      luns: [
        { lun: 0, type: 'controller', backingStore: null, flags: '' },
        { lun: 1, type: 'disk', backingStore: '/tmp/a b/volume-1', flags: 'direct' },
      ],
      accounts: ['u1'],
      acls: ['ALL'],
      sessions: 1,
    },
    {
      tid: 3,
      iqn: 'iqn.2010-10.org.openstack:volume-def',
      luns: [{ lun: 0, type: 'controller', backingStore: null, flags: '' }],
      accounts: [],
      acls: [],
      sessions: 0,
    },
  ]);
  assert.deepEqual(parseTargets(''), []);
});

test('accounts and portals', () => {
  assert.deepEqual(parseAccounts('Account list:\n    u1\n    Ab3xyz\n'), ['u1', 'Ab3xyz']);
  assert.deepEqual(parseAccounts('Account list:\n'), []);
  assert.deepEqual(parsePortals('Portal: 127.0.0.1:13260,1\nPortal: [::1]:3260,1\n'), [
    '127.0.0.1:13260',
    '[::1]:3260',
  ]);
});

test('the free tid is the smallest one not taken', () => {
  assert.equal(freeTid([]), 1);
  assert.equal(freeTid([{ tid: 1 }, { tid: 3 }]), 2);
  assert.equal(freeTid([{ tid: 2 }, { tid: 1 }]), 3);
});
