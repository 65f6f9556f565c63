/**
 * On/off switches read from the environment (`KINDLING_SQLITE_GROUP_COMMIT`,
 * `KINDLING_PG_NAMED_STATEMENTS`, `KINDLING_SQLITE_WORKER`, …).
 */

/**
 * Whether switch `name` is on. A switch on by default stays on unless set to 0/false/off/no; one
 * off by default is on only when set to 1/true/on/yes (case and surrounding blanks ignored).
 */
export function envSwitch(name: string, defaultOn: boolean): boolean {
  const v = process.env[name]?.trim().toLowerCase();
  if (v === undefined) return defaultOn;
  return defaultOn ? !['0', 'false', 'off', 'no'].includes(v) : ['1', 'true', 'on', 'yes'].includes(v);
}
