/**
 * Loaded into a Kindling process a test spawns (`node --import tsx --import
 * ./test/support/fault-preload.ts src/cmd/kindling.ts …`; cluster.ts does so for every process):
 * installs the faults its environment names through Kindling's ordinary extension points, and
 * nothing when it names none.
 *
 * - `KINDLING_TEST_DRIVER_FAULTS`: the drivers' faults per backend (driver-faults.ts), added with
 *   `addDriverWrapper` to the volume services this process starts.
 * - `KINDLING_TEST_KILL_AT=<TaskName>:<start|end>` (`:start` when left out): the process kills
 *   itself (SIGKILL, no cleanup) when a create reaches that point of the volume manager's flow
 *   (`volume:create_manager`), through a process-wide flow listener.
 */
import { DRIVER_FAULTS_ENV, withTestDriverFaults } from './driver-faults.js';

export const KILL_AT_ENV = 'KINDLING_TEST_KILL_AT';

/** The flow whose task boundaries `KINDLING_TEST_KILL_AT` names. */
const KILL_FLOW = 'volume:create_manager';

if (process.env[DRIVER_FAULTS_ENV]) {
  const { addDriverWrapper } = await import('../../src/service/volume-services.js');
  addDriverWrapper((driver, backend) => withTestDriverFaults(driver, backend));
}

const killAt = process.env[KILL_AT_ENV];
if (killAt) {
  const cut = killAt.lastIndexOf(':');
  const [task, when] = cut > 0 ? [killAt.slice(0, cut), killAt.slice(cut + 1)] : [killAt, 'start'];
  const kill = (flow: string, name: string, at: string) => {
    if (flow === KILL_FLOW && name === task && at === when) process.kill(process.pid, 'SIGKILL');
  };
  const { addProcessFlowListener } = await import('../../src/flow/index.js');
  addProcessFlowListener({
    onTaskStart: (flow, name) => kill(flow, name, 'start'),
    onTaskSuccess: (flow, name) => kill(flow, name, 'end'),
  });
}
