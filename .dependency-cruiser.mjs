/**
 * The layers of src/ and the rules that keep them straight, checked by `npm run lint`
 * (`depcruise src`) and shown to bite by test/lint/layers.test.ts. docs/architecture.md
 * ("Layers") draws the same picture.
 *
 * A module may import its own layer and any layer below it, never one above; drivers see only
 * their driver interface (plus common and config); no circle of imports, type-only ones
 * included. What breaks a rule today is listed below as a named exception, one per import, to be
 * removed with the import: any other import across the same line still fails.
 */

/**
 * From the top down. A layer is a list of path patterns (relative to the repository); a file is
 * in exactly one layer. Directories are placed whole except for the few files named here, each
 * sitting where its imports and its importers put it.
 */
export const LAYERS = [
  { name: 'cmd', paths: ['^src/cmd/'] },
  { name: 'service', paths: ['^src/service/'] },
  {
    // The HTTP surfaces: the API (with its request authentication, src/api/auth/), the dashboard
    // it serves, and the metrics exposition (gauges, /metrics, the [metrics] port listener).
    name: 'api',
    paths: ['^src/api/', '^src/dashboard/', '^src/metrics/(?!registry\\.ts$)'],
  },
  {
    // The services built on the volume service: they call into src/volume/, never the reverse.
    name: 'backup/group/transfer',
    paths: ['^src/backup/(?!rpcapi\\.ts$)', '^src/group/(?!rpcapi\\.ts$)', '^src/transfer/'],
  },
  {
    // The volume service and the image service beside it. src/volume/drivers/ is here too, with
    // a stricter rule of its own (drivers-see-only-the-driver-interface).
    name: 'volume/image',
    paths: ['^src/volume/(?!rpcapi\\.ts$|driver\\.ts$|targets/)', '^src/image/(?!qemu-img\\.ts$)'],
  },
  {
    // The scheduler, and every service's RPC client (Cinder's */rpcapi.py): the addresses the
    // services cast to one another by, so the scheduler may call the volume service and the
    // volume service the scheduler. A client holds no more than the casts.
    name: 'scheduler',
    paths: ['^src/scheduler/', '^src/(volume|backup|group)/rpcapi\\.ts$'],
  },
  {
    // CoreDeps: the bundle of the services below that every service is built from.
    name: 'core',
    paths: ['^src/common/deps\\.ts$'],
  },
  {
    // Policy (src/auth/: Cinder's policies and oslo.policy; the API's Keystone middleware is
    // src/api/auth/) is here because the volume, backup, group and transfer APIs enforce it, as
    // Cinder's volume/api.py does. Flow traces (src/flow-trace/: the listener that collects a run,
    // and its store in the database) sit beside notifications and user messages, above db and
    // outside the flow engine, which knows only the listener interface.
    name: 'quota/coordination/notify/message/auth/flow-trace',
    paths: ['^src/(quota|coordination|notify|message|auth|flow-trace)/'],
  },
  { name: 'db/rpc', paths: ['^src/(db|rpc)/'] },
  {
    // The flow engine and config, and the driver interface with the helpers Cinder gives its
    // drivers (target helpers, qemu-img): whatever sits here sees only common.
    name: 'config/flow/driver-interface',
    paths: [
      '^src/(config|flow)/',
      '^src/volume/driver\\.ts$',
      '^src/volume/targets/',
      '^src/image/qemu-img\\.ts$',
    ],
  },
  {
    // Errors, context, strings, hosts; and the process's one metrics registry, which any layer
    // may count into.
    name: 'common',
    paths: ['^src/common/(?!deps\\.ts$)', '^src/metrics/registry\\.ts$'],
  },
];

/**
 * What a driver may import besides its own directory: its driver interface, common and config
 * (and node: and npm packages, which the cruise leaves out). The backup drivers' interface is the
 * backup driver contract and its options, plus the volume driver contract the device comes from
 * and the device reader/writer it is handed (src/volume/device-io.ts); the errors it raises are
 * common's (src/common/errors/).
 */
export const DRIVERS = [
  {
    name: 'volume-drivers',
    paths: '^src/volume/drivers/',
    sees: [
      '^src/volume/drivers/',
      '^src/volume/driver\\.ts$',
      '^src/volume/targets/',
      '^src/image/qemu-img\\.ts$',
    ],
  },
  {
    name: 'backup-drivers',
    paths: '^src/backup/drivers/',
    sees: [
      '^src/backup/drivers/',
      '^src/backup/(driver|options)\\.ts$',
      '^src/volume/(driver|device-io)\\.ts$',
    ],
  },
];

/**
 * Imports that go up a layer today. Each is a debt with its reason; remove the entry with the
 * import (test/lint/layers.test.ts fails on an entry that no longer matches an import).
 */
export const LAYER_EXCEPTIONS = [];

/**
 * Circles of imports known today, each named by the modules it runs through (as
 * dependency-cruiser matches a known circle: the same set of modules). A new circle, or a known
 * one through another module, fails.
 */
export const CYCLE_EXCEPTIONS = [];

const anyOf = (patterns) => patterns.join('|');

/** The layer rule's name for a layer: what a violation prints. */
export const layerRuleName = (layer) => `layer-${layer.name.replace(/\//g, '-')}`;

/** The layer a repository path is in. */
export function layerOf(file) {
  return LAYERS.find((layer) => layer.paths.some((p) => new RegExp(p).test(file)));
}

/** A LAYER_EXCEPTIONS entry as dependency-cruiser's known violation. */
export function layerKnownViolation(e) {
  const layer = layerOf(e.from);
  if (!layer) throw new Error(`${e.name}: ${e.from} is in no layer`);
  return {
    type: 'dependency',
    rule: { name: layerRuleName(layer), severity: 'error' },
    from: e.from,
    to: e.to,
    comment: e.name,
  };
}

const layerRules = LAYERS.slice(1).map((layer, i) => ({
  name: layerRuleName(layer),
  severity: 'error',
  comment: `${layer.name} imports only its own layer and those below it`,
  from: { path: anyOf(layer.paths) },
  to: { path: anyOf(LAYERS.slice(0, i + 1).flatMap((upper) => upper.paths)) },
}));

const driverRules = DRIVERS.map((drivers) => ({
  name: `${drivers.name}-see-only-the-driver-interface`,
  severity: 'error',
  comment: 'a driver imports its driver interface, common and config, nothing else of src/',
  from: { path: drivers.paths },
  to: { path: '^src/', pathNot: anyOf([...drivers.sees, '^src/common/(?!deps\\.ts$)', '^src/config/']) },
}));

const cycleRule = {
  name: 'no-circular',
  severity: 'error',
  comment: 'no circle of imports, type-only ones included',
  from: {},
  to: { circular: true },
};

export default {
  forbidden: [...layerRules, ...driverRules, cycleRule],
  options: {
    // Only src/ is layered; the tests (all under test/) may import anything.
    includeOnly: '^src/',
    // Type-only imports count: a circle through types is still a circle.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    knownViolations: [
      ...LAYER_EXCEPTIONS.map(layerKnownViolation),
      ...CYCLE_EXCEPTIONS.map((e) => ({
        type: 'cycle',
        rule: { name: 'no-circular', severity: 'error' },
        from: e.cycle[0],
        to: e.cycle[1],
        cycle: e.cycle.map((name) => ({ name, dependencyTypes: [] })),
        comment: e.name,
      })),
    ],
  },
};
