/**
 * The periodic task that gives back reservations nobody committed or rolled back (a request that
 * crashed between reserve and commit): Cinder's scheduler `_clean_expired_reservation`, run at
 * start and then every `reservation_clean_interval` seconds (by default `reservation_expire`).
 */
import type { Logger } from 'pino';
import type { QuotaEngine } from './quota-engine.js';

/** Node's largest timer delay (about 24.8 days); longer intervals are cut to it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Starts expiring reservations now and every `intervalSeconds`; returns the function that stops
 * it. A failed run is logged and the next one tried on schedule.
 */
export function startReservationExpiry(
  quotas: Pick<QuotaEngine, 'expire'>,
  intervalSeconds: number,
  log: Pick<Logger, 'info' | 'warn'>,
): () => void {
  let running = false;
  const run = async () => {
    // NOTE: a slow run (a large backlog) must not overlap with the next one.
    if (running) return;
    running = true;
    try {
      const n = await quotas.expire();
      if (n > 0) log.info({ reservations: n }, 'Expired quota reservations rolled back');
    } catch (e) {
      log.warn({ err: e }, 'expiring quota reservations failed');
    } finally {
      running = false;
    }
  };
  void run();
  const timer = setInterval(() => void run(), Math.min(Math.max(intervalSeconds, 1) * 1000, MAX_TIMER_MS));
  timer.unref();
  return () => clearInterval(timer);
}
