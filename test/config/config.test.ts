import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigErrors, loadConfig, parseCommandLineConfigFiles, OPTIONS } from '../../src/config/index.js';
import { ConfigError } from '../../src/common/errors.js';

let dir = '';
let n = 0;
/** Write a config file into the test's temp dir and return its path. */
const conf = (text: string): string => {
  const path = join(dir, `c${n++}.conf`);
  writeFileSync(path, text);
  return path;
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kindling-config-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('defaults', () => {
  test('no files, no environment: the embedded default', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.DEFAULT.host, hostname());
    assert.equal(c.DEFAULT.state_path, './var');
    assert.equal(c.DEFAULT.osapi_volume_listen, '127.0.0.1');
    assert.equal(c.DEFAULT.osapi_volume_listen_port, 8776);
    assert.equal(c.DEFAULT.auth_strategy, 'noauth');
    assert.equal(c.DEFAULT.transport_url, 'inproc://');
    assert.deepEqual(c.DEFAULT.enabled_backends, ['file']);
    assert.deepEqual(c.DEFAULT.scheduler_default_filters, [
      'AvailabilityZoneFilter',
      'CapacityFilter',
      'CapabilitiesFilter',
      'IgnoreAttemptedHostsFilter',
    ]);
    assert.equal(c.DEFAULT.allocated_capacity_weight_multiplier, -1);
    assert.equal(c.DEFAULT.max_over_subscription_ratio, '20.0');
    assert.equal(c.DEFAULT.default_availability_zone, null);
    assert.equal(c.DEFAULT.use_default_quota_class, true);
    assert.equal(c.DEFAULT.project_id_regex, '[0-9a-zA-Z_\\-]+');
    assert.equal(c.database.connection, 'sqlite:///./var/kindling.sqlite');
    assert.deepEqual(c.oslo_messaging_notifications.driver, ['log']);
    assert.deepEqual(Object.keys(c.backends), ['file']);
    assert.deepEqual(c.backends.file, {
      volume_driver: 'file',
      volume_backend_name: 'file',
      backend_availability_zone: null,
      file_volume_dir: './var/volumes',
      reserved_percentage: 0,
      max_over_subscription_ratio: '20.0',
      report_discard_supported: false,
      image_volume_cache_enabled: false,
      image_volume_cache_max_size_gb: 0,
      image_volume_cache_max_count: 0,
      extra: {},
    });
    assert.deepEqual(c.configFiles, []);
  });

  test('the result is deeply frozen', () => {
    const c = loadConfig({ env: {} });
    assert.ok(
      Object.isFrozen(c) && Object.isFrozen(c.DEFAULT) && Object.isFrozen(c.DEFAULT.enabled_backends),
    );
    assert.ok(Object.isFrozen(c.backends.file));
    assert.throws(() => {
      (c.DEFAULT as { debug: boolean }).debug = true;
    }, TypeError);
  });

  test('the option table lists every section', () => {
    const sections = new Set(OPTIONS.map((o) => o.section));
    assert.deepEqual(
      [...sections],
      [
        'DEFAULT',
        'database',
        'oslo_messaging_notifications',
        'coordination',
        'metrics',
        'healthcheck',
        'dashboard',
        '<backend>',
      ],
    );
    assert.ok(OPTIONS.every((o) => o.option.help.length > 0));
  });
});

describe('files', () => {
  test('values are typed; unknown options are kept in raw only', () => {
    const c = loadConfig({
      env: {},
      files: [
        conf(`[DEFAULT]
osapi_volume_listen_port = 9000
debug = Yes
capacity_weight_multiplier = -2.5
enabled_backends = file,
auth_strategy = keystone
made_up_option = 1
[database]
connection = postgresql://kindling:p#ss;word@db/kindling
[keystone_authtoken]
www_authenticate_uri = http://keystone:5000
[file]
`),
      ],
    });
    assert.equal(c.DEFAULT.osapi_volume_listen_port, 9000);
    assert.equal(c.DEFAULT.debug, true);
    assert.equal(c.DEFAULT.capacity_weight_multiplier, -2.5);
    assert.deepEqual(c.DEFAULT.enabled_backends, ['file']);
    assert.equal(c.DEFAULT.auth_strategy, 'keystone');
    assert.equal(c.database.connection, 'postgresql://kindling:p#ss;word@db/kindling');
    assert.equal(c.raw.DEFAULT?.made_up_option, '1');
    assert.equal(c.raw.keystone_authtoken?.www_authenticate_uri, 'http://keystone:5000');
    assert.equal('made_up_option' in c.DEFAULT, false);
  });

  test('a later file wins; within a file the last occurrence wins', () => {
    const a = conf('[DEFAULT]\nstorage_availability_zone = az1\nquota_volumes = 5\nquota_volumes = 6\n');
    const b = conf('[DEFAULT]\nstorage_availability_zone = az2\n');
    const c = loadConfig({ env: {}, files: [a, b] });
    assert.equal(c.DEFAULT.storage_availability_zone, 'az2');
    assert.equal(c.DEFAULT.quota_volumes, 6);
    assert.deepEqual(c.configFiles, [a, b]);
    assert.equal(loadConfig({ env: {}, files: [b, a] }).DEFAULT.storage_availability_zone, 'az1');
  });

  test('$option substitution in file values; $$ escapes', () => {
    const c = loadConfig({
      env: {},
      files: [
        conf(
          '[DEFAULT]\nstate_path = /srv/kindling\nenabled_backends = file\n' +
            '[file]\nfile_volume_dir = $state_path/vols\nvolume_backend_name = ${host}-x\n' +
            '[database]\nconnection = mysql://u:pa$$w$unknown@h/${DEFAULT.state_path}\n',
        ),
      ],
    });
    assert.equal(c.backends.file?.file_volume_dir, '/srv/kindling/vols');
    assert.equal(c.backends.file?.volume_backend_name, `${hostname()}-x`);
    assert.equal(c.database.connection, 'mysql://u:pa$w$unknown@h//srv/kindling');
  });

  test('section names other than DEFAULT are case-insensitive', () => {
    const c = loadConfig({ env: {}, files: [conf('[Database]\nconnection = sqlite:///other.db\n')] });
    assert.equal(c.database.connection, 'sqlite:///other.db');
  });

  test('a missing file is a ConfigError', () => {
    assert.throws(() => loadConfig({ env: {}, files: [join(dir, 'absent.conf')] }), ConfigError);
  });
});

describe('derived defaults', () => {
  test('database connection and volume dir follow state_path, wherever it is set', () => {
    const fromFile = loadConfig({ env: {}, files: [conf('[DEFAULT]\nstate_path = /var/lib/kindling/\n')] });
    assert.equal(fromFile.database.connection, 'sqlite:////var/lib/kindling/kindling.sqlite');
    assert.equal(fromFile.backends.file?.file_volume_dir, '/var/lib/kindling/volumes');
    const fromEnv = loadConfig({ env: { KINDLING_STATE_DIR: '/tmp/k' } });
    assert.equal(fromEnv.database.connection, 'sqlite:////tmp/k/kindling.sqlite');
  });

  test('an explicit connection is not replaced', () => {
    const c = loadConfig({
      env: { KINDLING_STATE_DIR: '/tmp/k', KINDLING__database__connection: 'postgresql://x/y' },
    });
    assert.equal(c.database.connection, 'postgresql://x/y');
  });
});

describe('backends', () => {
  test('two backends: own sections, backend_defaults, then DEFAULT fallbacks', () => {
    const c = loadConfig({
      env: {},
      files: [
        conf(`[DEFAULT]
state_path = /s
enabled_backends = fast, Slow
reserved_percentage = 7
max_over_subscription_ratio = auto
[backend_defaults]
reserved_percentage = 9
[fast]
volume_driver = file
volume_backend_name = gold
rbd_pool = volumes
[slow]
reserved_percentage = 3
max_over_subscription_ratio = 1.5
`),
      ],
    });
    assert.deepEqual(Object.keys(c.backends), ['fast', 'Slow']);
    const fast = c.backends.fast;
    const slow = c.backends.Slow;
    assert.equal(fast?.volume_backend_name, 'gold');
    assert.equal(fast?.file_volume_dir, '/s/volumes/fast');
    assert.equal(fast?.reserved_percentage, 9);
    assert.equal(fast?.max_over_subscription_ratio, 'auto');
    assert.deepEqual(fast?.extra, {
      volume_driver: 'file',
      volume_backend_name: 'gold',
      rbd_pool: 'volumes',
    });
    assert.equal(slow?.volume_backend_name, 'Slow');
    assert.equal(slow?.volume_driver, 'file');
    assert.equal(slow?.file_volume_dir, '/s/volumes/Slow');
    assert.equal(slow?.reserved_percentage, 3);
    assert.equal(slow?.max_over_subscription_ratio, '1.5');
  });

  test('a backend named file keeps the plain volumes dir; without backend_defaults DEFAULT is used', () => {
    const c = loadConfig({
      env: { KINDLING__DEFAULT__enabled_backends: 'file,b', KINDLING__DEFAULT__reserved_percentage: '4' },
    });
    assert.equal(c.backends.file?.file_volume_dir, './var/volumes');
    assert.equal(c.backends.b?.file_volume_dir, './var/volumes/b');
    assert.equal(c.backends.b?.reserved_percentage, 4);
  });
});

describe('environment', () => {
  test('shortcuts, KINDLING_CONFIG and generic overrides, generic winning', () => {
    const file = conf('[DEFAULT]\nosapi_volume_listen_port = 9000\nstorage_availability_zone = fromfile\n');
    const c = loadConfig({
      env: {
        KINDLING_CONFIG: `${file}:`,
        KINDLING_PORT: '9100',
        KINDLING_HOST: '0.0.0.0',
        KINDLING__default__storage_availability_zone: 'fromenv',
        KINDLING__a__volume_driver: 'rbd',
        KINDLING__DEFAULT__ENABLED_BACKENDS: 'a',
        KINDLING__oslo_messaging_notifications__driver: 'messaging,log',
      },
    });
    assert.equal(c.DEFAULT.osapi_volume_listen_port, 9100);
    assert.equal(c.DEFAULT.osapi_volume_listen, '0.0.0.0');
    assert.equal(c.DEFAULT.storage_availability_zone, 'fromenv');
    assert.deepEqual(c.configFiles, [file]);
    assert.deepEqual(Object.keys(c.backends), ['a']);
    assert.equal(c.backends.a?.volume_driver, 'rbd');
    assert.equal(c.backends.a?.file_volume_dir, './var/volumes');
    assert.deepEqual(c.oslo_messaging_notifications.driver, ['messaging', 'log']);
    const generic = loadConfig({
      env: { KINDLING_PORT: '1', KINDLING__DEFAULT__osapi_volume_listen_port: '2' },
    });
    assert.equal(generic.DEFAULT.osapi_volume_listen_port, 2);
  });

  test('environment values are taken literally (no $ substitution)', () => {
    const c = loadConfig({ env: { KINDLING__database__connection: 'mysql://u:pa$state_path@h/db' } });
    assert.equal(c.database.connection, 'mysql://u:pa$state_path@h/db');
  });

  test('a malformed generic variable is rejected', () => {
    assert.throws(() => loadConfig({ env: { KINDLING__DEFAULT: 'x' } }), ConfigError);
  });
});

describe('bad values', () => {
  const cases: [string, string, RegExp][] = [
    [
      'DEFAULT',
      'osapi_volume_listen_port = eighty',
      /option osapi_volume_listen_port in group \[DEFAULT\]: 'eighty' \(expected an integer\)/,
    ],
    ['DEFAULT', 'osapi_volume_listen_port = 70000', /'70000' \(should be <= 65535\)/],
    ['DEFAULT', 'debug = maybe', /option debug in group \[DEFAULT\]: 'maybe'/],
    ['DEFAULT', 'capacity_weight_multiplier = 1.2.3', /'1\.2\.3' \(expected a float\)/],
    ['DEFAULT', 'auth_strategy = ldap', /'ldap' \(valid values are noauth, keystone\)/],
    ['DEFAULT', 'max_over_subscription_ratio = lots', /option max_over_subscription_ratio/],
    ['file', 'reserved_percentage = x', /option reserved_percentage in group \[file\]: 'x'/],
  ];
  for (const [section, line, re] of cases) {
    test(`[${section}] ${line}`, () => {
      const path = conf(`[${section}]\n${line}\n`);
      assert.throws(
        () => loadConfig({ env: {}, files: [path] }),
        (e: unknown) => e instanceof ConfigError && re.test(e.message),
      );
    });
  }

  test('from the environment too', () => {
    assert.throws(() => loadConfig({ env: { KINDLING_PORT: 'abc' } }), /osapi_volume_listen_port.*'abc'/);
  });

  test('oslo-style ints and floats are accepted', () => {
    const c = loadConfig({
      env: {},
      files: [
        conf(
          '[DEFAULT]\nquota_volumes = +1_000\nquota_snapshots = -1\ncapacity_weight_multiplier = .5\nallocated_capacity_weight_multiplier = 1e1\n',
        ),
      ],
    });
    assert.equal(c.DEFAULT.quota_volumes, 1000);
    assert.equal(c.DEFAULT.quota_snapshots, -1);
    assert.equal(c.DEFAULT.capacity_weight_multiplier, 0.5);
    assert.equal(c.DEFAULT.allocated_capacity_weight_multiplier, 10);
  });
});

test('parseCommandLineConfigFiles collects repeated --config-file flags', () => {
  assert.deepEqual(
    parseCommandLineConfigFiles(['serve', '--config-file', 'a.conf', '--debug', '--config-file=b.conf']),
    ['a.conf', 'b.conf'],
  );
  assert.deepEqual(parseCommandLineConfigFiles(['serve']), []);
  assert.throws(() => parseCommandLineConfigFiles(['--config-file']), ConfigError);
});

describe('every problem in one run', () => {
  test('bad values, unreadable files, bad variables and missing backend sections are all listed', () => {
    const a = conf(`[DEFAULT]
osapi_volume_listen_port = eighty
debug = maybe
enabled_backends = fast,slow
enabled_backend = typo
[fast]
reserved_percentage = 101
target_port = x
[backend_defaults]
use_chap_auth = perhaps
`);
    const b = conf('[DEFAULT]\nthis line has no separator\n');
    let caught: unknown;
    try {
      loadConfig({ env: { KINDLING__DEFAULT: 'x' }, files: [a, join(dir, 'absent.conf'), b] });
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof ConfigErrors);
    assert.deepEqual(caught.problems, [
      `Failed to read config file ${join(dir, 'absent.conf')}: ENOENT: no such file or directory, open '${join(dir, 'absent.conf')}'`,
      `${b}:2: No ':' or '=' found in assignment: this line has no separator`,
      'Environment variable KINDLING__DEFAULT must look like KINDLING__<SECTION>__<option>',
      "Invalid value for option osapi_volume_listen_port in group [DEFAULT]: 'eighty' (expected an integer)",
      "Invalid value for option debug in group [DEFAULT]: 'maybe' (expected true/false, 1/0, yes/no or on/off)",
      "Invalid value for option reserved_percentage in group [fast]: '101' (should be <= 100)",
      "Invalid value for option target_port in group [fast]: 'x' (expected an integer)",
      "Invalid value for option use_chap_auth in group [fast]: 'perhaps' (expected true/false, 1/0, yes/no or on/off)",
      "Invalid value for option use_chap_auth in group [slow]: 'perhaps' (expected true/false, 1/0, yes/no or on/off)",
      `Backend slow of enabled_backends (${a}) has no section [slow]: add one (it may hold only volume_driver = file)`,
    ]);
    assert.ok(caught.problems.every((p) => !p.includes('\n')));
    assert.equal(caught.message, caught.problems.join('\n'));
    assert.deepEqual(
      caught.warnings.map((w) => w.option),
      ['enabled_backend'],
    );
  });

  test('the checks across target options are made at load time', () => {
    const path = conf('[file]\nchap_username = u\ntarget_ip_address = localhost\n');
    assert.throws(
      () => loadConfig({ env: {}, files: [path] }),
      /Invalid value for option target_ip_address in group \[file\]: 'localhost' is not an IP address/,
    );
  });

  test('keystone options are checked only in keystone mode', () => {
    const path = conf('[keystone_authtoken]\ntoken_cache_time = soon\n');
    assert.doesNotThrow(() => loadConfig({ env: {}, files: [path] }));
    assert.throws(
      () => loadConfig({ env: { KINDLING__DEFAULT__auth_strategy: 'keystone' }, files: [path] }),
      /option token_cache_time in group \[keystone_authtoken\]: 'soon'/,
    );
  });

  test('a backend of enabled_backends needs a section when a file lists it, not when the environment does', () => {
    const listed = conf('[DEFAULT]\nenabled_backends = a,B\n[b]\n');
    assert.throws(
      () => loadConfig({ env: {}, files: [listed] }),
      (e: unknown) =>
        e instanceof ConfigErrors &&
        e.problems.length === 1 &&
        /^Backend a of enabled_backends \(.*\) has no section \[a\]/.test(e.message),
    );
    assert.deepEqual(
      Object.keys(loadConfig({ env: {}, files: [conf('[DEFAULT]\nenabled_backends = a\n[A]\n')] }).backends),
      ['a'],
    );
    const env = { KINDLING__DEFAULT__enabled_backends: 'a,b' };
    assert.deepEqual(Object.keys(loadConfig({ env, files: [listed] }).backends), ['a', 'b']);
    assert.deepEqual(
      Object.keys(loadConfig({ env: { ...env, KINDLING__a__volume_driver: 'file' } }).backends),
      ['a', 'b'],
    );
  });
});
