// Copies the dashboard's static files (plain HTML, CSS and browser ES modules that tsc does not
// compile) next to the compiled code: src/dashboard/static/ → dist/dashboard/static/. Run by
// `npm run build` and `npm start` after tsc; a fresh copy each time, so a removed file goes too.
import { cpSync, rmSync } from 'node:fs';
import { URL } from 'node:url';

const from = new URL('../src/dashboard/static/', import.meta.url);
const to = new URL('../dist/dashboard/static/', import.meta.url);
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
